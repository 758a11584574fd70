#include <stdio.h>

static int square(int x) { return x * x; }
static int negate(int x) { return -x; }
static int increment(int x) { return x + 1; }
static int (*const operations[])(int) = {square, negate, increment};
static const char *const names[] = {"square", "negate", "increment"};

int table[16] = {1, 1, 2, 3, 5, 8, 13, 21};
const char *lookup[] = {"zero", "one", "two"};

static const char *classify(int value)
{
    switch (value)
    {
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    case 6: return "six";
    case 7: return "seven";
    case 8: return "eight";
    default: return "many";
    }
}

int main(void)
{
    int total = 0;
    for (int i = 0; i < 3; i++)
    {
        int result = operations[i](i + 5);
        printf("%s(%d)=%d\n", names[i], i + 5, result);
        total += result;
    }
    for (int i = 0; i < 10; i++)
    {
        printf("%d:%s ", table[i], classify(table[i]));
    }
    printf("\n%s %s %s total=%d\n", lookup[0], lookup[1], lookup[2], total);
    return total & 0xff;
}
