package org.jitmem.runtime.testing;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;

import org.osgi.service.log.Logger;

/**
 * OSGi {@link Logger}s for components built outside OSGi in unit tests: each event goes to the {@link System.Logger}
 * of the same name, with the OSGi Log's {@code {}} placeholders filled in and a last {@link Throwable} argument as the
 * event's exception.
 */
public final class SystemLoggers
{
    private SystemLoggers()
    {
    }

    /**
     * @param type the class the logger is named after
     * @return a logger that writes to {@link System.Logger}
     */
    public static Logger of(final Class<?> type)
    {
        final System.Logger target = System.getLogger(type.getName());
        return (Logger)Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, arguments) -> invoke(target, method, arguments == null ? new Object[0] : arguments));
    }

    private static Object invoke(final System.Logger target, final Method method, final Object[] arguments)
    {
        final String name = method.getName();
        if ("getName".equals(name) || "toString".equals(name))
        {
            return target.getName();
        }
        if ("hashCode".equals(name))
        {
            return System.identityHashCode(target);
        }
        if ("equals".equals(name))
        {
            return false;
        }
        final System.Logger.Level level = level(name.startsWith("is") ?
            name.substring(2, name.length() - "Enabled".length()).toLowerCase() : name);
        if (name.startsWith("is"))
        {
            return target.isLoggable(level);
        }
        if (arguments.length == 0 || !(arguments[0] instanceof String format))
        {
            return null;
        }
        final Object[] values = arguments.length == 2 && arguments[1] instanceof Object[] array ? array :
            Arrays.copyOfRange(arguments, 1, arguments.length);
        final Throwable thrown = values.length > 0 && values[values.length - 1] instanceof Throwable last ? last :
            null;
        final StringBuilder message = new StringBuilder();
        int from = 0;
        int next = 0;
        for (int at = format.indexOf("{}"); at >= 0 && next < values.length; at = format.indexOf("{}", from))
        {
            message.append(format, from, at).append(values[next++]);
            from = at + 2;
        }
        message.append(format.substring(from));
        target.log(level, message.toString(), thrown);
        return null;
    }

    private static System.Logger.Level level(final String name)
    {
        return switch (name)
        {
            case "trace" -> System.Logger.Level.TRACE;
            case "debug" -> System.Logger.Level.DEBUG;
            case "info" -> System.Logger.Level.INFO;
            case "warn" -> System.Logger.Level.WARNING;
            default -> System.Logger.Level.ERROR;
        };
    }
}
