#include <cstdio>
#include <stdexcept>
#include <string>

namespace
{
struct Tracer
{
    const char *name;
    explicit Tracer(const char *n) : name(n) { std::printf("construct %s\n", name); }
    ~Tracer() { std::printf("destruct %s\n", name); }
};

Tracer global("global");

int parse(const std::string &text)
{
    if (text.empty())
    {
        throw std::invalid_argument("empty text");
    }
    if (text[0] == '-')
    {
        throw 42;
    }
    return static_cast<int>(text.size());
}
}

template <typename T> T twice(T value)
{
    return value + value;
}

int main()
{
    int caught = 0;
    const char *inputs[] = {"hello", "", "-x", "jit"};
    for (const char *input : inputs)
    {
        Tracer scope(input[0] ? input : "(empty)");
        try
        {
            std::printf("parse(%s)=%d\n", input, parse(input));
        }
        catch (const std::invalid_argument &error)
        {
            std::printf("invalid_argument: %s\n", error.what());
            caught++;
        }
        catch (int code)
        {
            std::printf("int %d\n", code);
            caught++;
        }
    }
    std::printf("twice %d %s\n", twice(21), twice(std::string("ab")).c_str());
    return caught;
}
