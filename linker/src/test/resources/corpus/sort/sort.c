#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b)
{
    const int x = *(const int *)a;
    const int y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void)
{
    enum { N = 1000 };
    int *values = malloc(N * sizeof *values);
    unsigned seed = 12345;
    for (int i = 0; i < N; i++)
    {
        seed = seed * 1103515245u + 12345u;
        values[i] = (int)(seed >> 8) % 10007;
    }
    qsort(values, N, sizeof *values, by_value);
    long sum = 0;
    for (int i = 0; i < N; i++)
    {
        sum += (long)values[i] * (i + 1);
    }
    printf("min=%d max=%d weighted=%ld\n", values[0], values[N - 1], sum);
    free(values);

    const char *names[] = {"pear", "apple", "fig", "banana", "cherry"};
    char *copy[5];
    for (int i = 0; i < 5; i++)
    {
        size_t length = strlen(names[i]) + 1;
        copy[i] = malloc(length);
        memcpy(copy[i], names[i], length);
    }
    qsort(copy, 5, sizeof copy[0], by_name);
    for (int i = 0; i < 5; i++)
    {
        printf("%s%s", copy[i], i < 4 ? "," : "\n");
        free(copy[i]);
    }
    return 0;
}
