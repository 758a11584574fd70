int answer(void)
{
    return 42;
}

__attribute__((weak)) const char *name(void)
{
    return "weak";
}
