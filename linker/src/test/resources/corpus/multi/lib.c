int counter;
static const char *message = "from lib";

const char *greeting(void)
{
    counter++;
    return message;
}

int add(int a, int b)
{
    counter += a;
    return a + b;
}
