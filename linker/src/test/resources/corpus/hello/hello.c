#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char buffer[64];
    int n = snprintf(buffer, sizeof buffer, "%s has %d argument(s)", "main", argc - 1);
    printf("hello, %s (%d chars, strlen %zu)\n", buffer, n, strlen(buffer));
    for (int i = 1; i < argc; i++)
    {
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    puts("done");
    return 3;
}
