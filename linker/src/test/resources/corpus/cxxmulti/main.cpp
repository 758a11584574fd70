#include <cstdio>
#include "shared.hpp"

int other(int value);

int main()
{
    Counter<long> counter;
    int failures = 0;
    for (int value : {4, -2, 7})
    {
        try
        {
            std::printf("main checked(%d)=%d other=%d\n", value, checked(value), other(value));
        }
        catch (const std::out_of_range &error)
        {
            std::printf("main caught: %s\n", error.what());
            failures++;
        }
    }
    std::printf("counter %ld %ld count=%d\n", counter.add(10), counter.add(20), Counter<long>::count);
    return failures;
}
