package org.jitmem.link;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Symbols referenced and defined nowhere: every one of them, each with the objects that need it. */
public final class UnresolvedSymbolsException extends LinkException
{
    private static final long serialVersionUID = 1L;

    private final transient Map<String, List<String>> missing;

    /** @param missing each missing symbol with the names of the objects that reference it */
    public UnresolvedSymbolsException(final Map<String, List<String>> missing)
    {
        super("undefined symbols: " + describe(missing), LinkSite.NONE);
        this.missing = Map.copyOf(missing);
    }

    /** @return each missing symbol with the names of the objects that reference it */
    public Map<String, List<String>> missing()
    {
        return missing;
    }

    private static String describe(final Map<String, List<String>> missing)
    {
        final StringBuilder text = new StringBuilder();
        new TreeMap<>(missing).forEach((symbol, objects) -> text.append(text.length() == 0 ? "" : " ")
            .append("symbol=").append(symbol).append(" object=").append(String.join(",", objects)));
        return text.toString();
    }
}
