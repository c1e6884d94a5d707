/* What a page fault costs on this machine: `pages N` writes one byte to each of N pages of its
 * initialized data (file-backed, private: the first write to each is a copy-on-write fault, as
 * a relocation's write or a fresh heap page is), then exits. Timed as `pages 0` against
 * `pages N`, interleaved, by scripts/bench (gcc -O2 -static). */
#include <stdlib.h>

#define PAGES 512
static volatile char data[PAGES * 4096] = {1};

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 0;
    if (n > PAGES) n = PAGES;
    for (int i = 0; i < n; i++) data[i * 4096] = 2;
    return 0;
}
