/* The floor a warm `p0 run-as -- CMD` (or `p0 aws credential-process`) is measured against:
 * the least a program can do for the same answer. It reads the same three state files p0
 * reads on its warm path (the identity, the local copy of the account config and the cached
 * credentials), finds the three credential fields, then either execs CMD with them in its
 * environment or prints the credential_process JSON. Static, so it pays no dynamic linking.
 *
 *   floor exec IDENTITY CONFIG CREDENTIALS CMD [ARGS...]
 *   floor print IDENTITY CONFIG CREDENTIALS
 *
 * Built by scripts/bench (gcc -O2 -static); no error handling beyond failing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char files[3][1 << 16];

static void slurp(const char *path, char *out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) exit(90);
    ssize_t n = read(fd, out, (1 << 16) - 1);
    if (n <= 0) exit(91);
    out[n] = 0;
    close(fd);
}

/* The string value of "key" in a flat JSON text (enough for these files). */
static char *field(char *json, const char *key) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\":\"", key);
    char *start = strstr(json, quoted);
    if (!start) exit(92);
    start += strlen(quoted);
    char *end = strchr(start, '"');
    if (!end) exit(93);
    *end = 0;
    return start;
}

int main(int argc, char **argv) {
    if (argc < 5) return 2;
    for (int i = 0; i < 3; i++) slurp(argv[2 + i], files[i]);
    if (!strstr(files[0], "\"slug\"") || !strstr(files[1], "\"iam-write\"")) return 94;
    char *creds = files[2];
    char *key = field(creds, "access_key_id");
    char *secret = field(key + strlen(key) + 1, "secret_access_key");
    char *token = field(secret + strlen(secret) + 1, "session_token");
    char *expiration = field(token + strlen(token) + 1, "expiration");
    if (strcmp(argv[1], "print") == 0) {
        printf("{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\","
               "\"SessionToken\":\"%s\",\"Expiration\":\"%s\"}\n",
               key, secret, token, expiration);
        return 0;
    }
    if (argc < 6) return 2;
    setenv("AWS_ACCESS_KEY_ID", key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
    setenv("AWS_SESSION_TOKEN", token, 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", expiration, 1);
    execvp(argv[5], argv + 5);
    return 127;
}
