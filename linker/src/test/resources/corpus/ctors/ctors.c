#include <stdio.h>

static int order[8];
static int count;

__attribute__((constructor(200))) static void second(void)
{
    order[count++] = 2;
    printf("constructor 200\n");
}

__attribute__((constructor(101))) static void first(void)
{
    order[count++] = 1;
    printf("constructor 101\n");
}

__attribute__((constructor)) static void last(void)
{
    order[count++] = 3;
    printf("constructor default\n");
}

__attribute__((destructor)) static void goodbye(void)
{
    printf("destructor default\n");
}

__attribute__((destructor(150))) static void farewell(void)
{
    printf("destructor 150\n");
}

int main(void)
{
    printf("main sees %d constructors: %d %d %d\n", count, order[0], order[1], order[2]);
    return count;
}
