#include <stdio.h>

extern int counter;
extern const char *greeting(void);
int add(int a, int b);
int twice(int (*f)(int, int), int x);

int main(void)
{
    counter = 10;
    printf("%s %d %d\n", greeting(), add(2, 3), twice(add, 7));
    printf("counter=%d\n", counter);
    return counter & 0x7f;
}
