//! The relocations a position-independent p0 applies to itself at every start, read from its
//! ELF file: how many pointers the start-up code writes, and on how many pages (each page
//! written is a copy-on-write fault before `main`).

use std::collections::{BTreeMap, BTreeSet};

const PAGE: u64 = 4096;
const SHT_RELA: u32 = 4;
const SHT_RELR: u32 = 19;
const SHF_ALLOC: u64 = 2;
const R_X86_64_RELATIVE: u32 = 8;
const R_AARCH64_RELATIVE: u32 = 1027;

struct Section {
    name: String,
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
}

/// What the relocation at start-up writes.
pub struct Relocations {
    /// The relative relocations (pointers adjusted by the load address).
    pub count: usize,
    /// The distinct pages they write, and how many of those fall in each section.
    pub pages: usize,
    pub pages_by_section: Vec<(String, usize)>,
    /// Whether they are packed (RELR) rather than one 24-byte RELA entry each.
    pub packed: bool,
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u64)
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn sections(b: &[u8]) -> Option<Vec<Section>> {
    // A 64-bit little-endian ELF file.
    if b.get(0..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
        return None;
    }
    let shoff = u64_at(b, 0x28)? as usize;
    let shentsize = u16_at(b, 0x3a)? as usize;
    let shnum = u16_at(b, 0x3c)? as usize;
    let shstrndx = u16_at(b, 0x3e)? as usize;
    let header = |i: usize| shoff + i * shentsize;
    let names_at = u64_at(b, header(shstrndx) + 0x18)? as usize;
    let mut out = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let h = header(i);
        let name_at = names_at + u32_at(b, h)? as usize;
        let name_len = b.get(name_at..)?.iter().position(|&c| c == 0)?;
        out.push(Section {
            name: String::from_utf8_lossy(&b[name_at..name_at + name_len]).into_owned(),
            kind: u32_at(b, h + 4)?,
            flags: u64_at(b, h + 8)?,
            addr: u64_at(b, h + 0x10)?,
            offset: u64_at(b, h + 0x18)?,
            size: u64_at(b, h + 0x20)?,
        });
    }
    Some(out)
}

/// The relative relocations of `binary` (an ELF file's bytes), or None for a file this does not
/// read (not 64-bit little-endian ELF).
pub fn relocations(binary: &[u8]) -> Option<Relocations> {
    let sections = sections(binary)?;
    let mut targets = Vec::new();
    let mut packed = false;
    for s in sections.iter().filter(|s| s.flags & SHF_ALLOC != 0) {
        if s.kind != SHT_RELR && s.kind != SHT_RELA {
            continue;
        }
        let data = binary.get(s.offset as usize..(s.offset + s.size) as usize)?;
        match s.kind {
            SHT_RELR => {
                packed = true;
                let mut next = 0u64;
                for word in data.chunks_exact(8) {
                    let word = u64::from_le_bytes(word.try_into().ok()?);
                    if word & 1 == 0 {
                        targets.push(word);
                        next = word + 8;
                    } else {
                        for bit in 1..64 {
                            if word >> bit & 1 == 1 {
                                targets.push(next + (bit - 1) * 8);
                            }
                        }
                        next += 63 * 8;
                    }
                }
            }
            SHT_RELA => {
                for entry in data.chunks_exact(24) {
                    let offset = u64::from_le_bytes(entry[0..8].try_into().ok()?);
                    let kind = u32::from_le_bytes(entry[8..12].try_into().ok()?);
                    if kind == R_X86_64_RELATIVE || kind == R_AARCH64_RELATIVE {
                        targets.push(offset);
                    }
                }
            }
            _ => {}
        }
    }
    let pages: BTreeSet<u64> = targets.iter().map(|t| t / PAGE).collect();
    let mut by_section: BTreeMap<String, usize> = BTreeMap::new();
    for page in &pages {
        let at = page * PAGE;
        let name = sections
            .iter()
            .filter(|s| s.flags & SHF_ALLOC != 0 && s.size > 0)
            .find(|s| s.addr / PAGE <= *page && at < s.addr + s.size)
            .map_or("?".to_string(), |s| s.name.clone());
        *by_section.entry(name).or_default() += 1;
    }
    let mut pages_by_section: Vec<(String, usize)> = by_section.into_iter().collect();
    pages_by_section.sort_by_key(|(_, pages)| std::cmp::Reverse(*pages));
    Some(Relocations {
        count: targets.len(),
        pages: pages.len(),
        pages_by_section,
        packed,
    })
}
