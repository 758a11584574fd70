#include <cstdio>
#include "shared.hpp"

int other(int value)
{
    Counter<long> counter;
    counter.add(value);
    try
    {
        return checked(value - 5);
    }
    catch (const std::out_of_range &error)
    {
        std::printf("other caught: %s (count=%d)\n", error.what(), Counter<long>::count);
        return -1;
    }
}
