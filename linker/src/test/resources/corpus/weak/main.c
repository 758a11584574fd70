#include <stdio.h>

extern void optional_hook(void) __attribute__((weak));
extern int optional_value __attribute__((weak));
const char *name(void);

__attribute__((weak)) int answer(void)
{
    return 1;
}

int main(void)
{
    printf("hook %s, value %s\n", optional_hook ? "present" : "absent", &optional_value ? "present" : "absent");
    printf("name=%s answer=%d\n", name(), answer());
    return answer();
}
