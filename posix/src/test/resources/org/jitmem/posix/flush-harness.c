/*
 * Runs the aarch64 instruction-cache flush routine read from the file named by argv[1]: maps it executable, then,
 * over and over, writes a fresh function into pages of their own, makes them executable, flushes them with the
 * routine (over ranges that start and end inside cache lines and span pages) and calls the fresh function, checking
 * what each call returns. Prints "flushed <n>" and exits with 0 when every check held.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int64_t (*flush_fn)(void *start, size_t length);
typedef int64_t (*code_fn)(const void *argument, size_t length);

static int fail(const char *what, long detail)
{
    fprintf(stderr, "harness: %s: %ld\n", what, detail);
    return 1;
}

/* movz/movk x0 with the four halfwords of value, then ret: the code of int64_t fn(void) returning value. */
static void return_constant(uint32_t *code, uint64_t value)
{
    code[0] = 0xD2800000u | (uint32_t)(value & 0xFFFF) << 5;
    for (uint32_t half = 1; half < 4; half++)
    {
        code[half] = 0xF2800000u | half << 21 | (uint32_t)((value >> (16 * half)) & 0xFFFF) << 5;
    }
    code[4] = 0xD65F03C0u;
}

int main(int argc, char **argv)
{
    if (argc != 2)
    {
        return fail("usage: harness <routine file>", argc);
    }
    const long page = sysconf(_SC_PAGESIZE);
    uint8_t routine_bytes[4096];
    FILE *file = fopen(argv[1], "rb");
    if (file == NULL)
    {
        return fail("cannot open the routine", 0);
    }
    const size_t routine_length = fread(routine_bytes, 1, sizeof routine_bytes, file);
    fclose(file);
    if (routine_length == 0 || routine_length % 4 != 0)
    {
        return fail("routine length", (long)routine_length);
    }
    uint8_t *routine = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (routine == MAP_FAILED)
    {
        return fail("mmap routine", page);
    }
    memcpy(routine, routine_bytes, routine_length);
    __builtin___clear_cache((char *)routine, (char *)routine + routine_length);
    if (mprotect(routine, page, PROT_READ | PROT_EXEC) != 0)
    {
        return fail("mprotect routine", page);
    }
    const flush_fn flush = (flush_fn)(void *)routine;

    const size_t code_pages = 3;
    uint8_t *code = mmap(NULL, code_pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED)
    {
        return fail("mmap code", code_pages * page);
    }
    /* Where the function goes: at a page start, inside a cache line, and across a page boundary. */
    const size_t offsets[] = {0, 4, 60, page - 8, page + 128, 2 * page - 12};
    long calls = 0;
    for (int round = 0; round < 50; round++)
    {
        for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
        {
            const uint64_t expected = 0x0123456789ABCDEFull * (uint64_t)(round + 1) + i;
            if (mprotect(code, code_pages * page, PROT_READ | PROT_WRITE) != 0)
            {
                return fail("mprotect code writable", round);
            }
            return_constant((uint32_t *)(code + offsets[i]), expected);
            if (mprotect(code, code_pages * page, PROT_READ | PROT_EXEC) != 0)
            {
                return fail("mprotect code executable", round);
            }
            const int64_t flushed = flush(code + offsets[i], 5 * sizeof(uint32_t));
            if (flushed != 0)
            {
                return fail("flush returned", (long)flushed);
            }
            const int64_t got = ((code_fn)(void *)(code + offsets[i]))(NULL, 0);
            if ((uint64_t)got != expected)
            {
                fprintf(stderr, "harness: round %d offset %zu: got %llx, expected %llx\n", round, offsets[i],
                    (unsigned long long)got, (unsigned long long)expected);
                return 1;
            }
            calls++;
        }
    }
    if (flush(code, code_pages * page) != 0 || flush(code + 1, 0) != 0)
    {
        return fail("flush of the whole range or of nothing", 0);
    }
    printf("flushed %ld\n", calls);
    return 0;
}
