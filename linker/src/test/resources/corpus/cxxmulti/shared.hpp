// Inline functions and a template: every object that uses them has its own copy in a COMDAT group.
#include <stdexcept>
#include <string>

inline int checked(int value)
{
    if (value < 0)
    {
        throw std::out_of_range("negative: " + std::to_string(value));
    }
    return value * 3;
}

template <typename T> struct Counter
{
    static int count;
    T add(T value)
    {
        count++;
        return value + static_cast<T>(count);
    }
};

template <typename T> int Counter<T>::count = 0;
