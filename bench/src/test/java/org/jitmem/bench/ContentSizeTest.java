package org.jitmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class ContentSizeTest
{
    @Test
    void readsTheAnchorLabels()
    {
        assertEquals(4096, ContentSize.parse("4KiB"));
        assertEquals(65536, ContentSize.parse("64kib"));
        assertEquals(1 << 20, ContentSize.parse("1MiB"));
        assertEquals(16 << 20, ContentSize.parse("16MiB"));
        assertEquals(12345, ContentSize.parse("12345"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "KiB", "0", "-4KiB", "4GiB", "2048MiB", "4 k"})
    void refusesWhatIsNotAPositiveArraySize(final String text)
    {
        final IllegalArgumentException error =
            assertThrows(IllegalArgumentException.class, () -> ContentSize.parse(text));
        assertTrue(error.getMessage().contains("size=" + text), error.getMessage());
    }
}
