int add(int a, int b);

int twice(int (*f)(int, int), int x)
{
    return f(f(x, x), add(x, 1));
}
