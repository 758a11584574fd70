package org.jitmem.runtime.internal;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * Tab completion of the {@code jitmem:} commands in Gogo's JLine shell ({@code org.apache.felix.gogo.jline}).
 * <p>
 * That shell has no completer service: it keeps the completions of each session in the session (its
 * {@code complete} builtin fills {@code .completions}, and its profile runs {@code complete} for Gogo's own
 * commands at every start), and at each TAB it evaluates the argument script of the command's completions in the
 * session. A profile is one central file, so this listener does its job instead, for every jitmem command present:
 * at the first command a JLine session executes (its profile), and again after commands or completers came or
 * went, it runs {@code complete} for each command with the command's {@code @Descriptor} and an argument script that
 * asks the command's completers through this component (a session variable). Completers are
 * {@link Function} services of the bundles that own the commands, so completion comes and goes with them: with
 * {@value #COMMANDS} naming the commands they complete, given the command's name and the words before the one
 * completed they return its candidates; {@value #FILES} names commands whose arguments are also file paths.
 * Sessions of other shells (gogo.shell, Karaf's console) have no {@code .completions}: nothing happens there.
 */
@Component(service = CommandSessionListener.class)
public final class ShellCompletion implements CommandSessionListener
{
    /** Service property of a completer: the commands ({@code jitmem:name}) whose arguments it completes. */
    static final String COMMANDS = "jitmem.completion.command";
    /** Service property of a completer: the commands whose arguments are file paths, completed by the shell. */
    static final String FILES = "jitmem.completion.files";

    private static final String SCOPE = "jitmem";
    /** gogo.jline's per-session completions, present in its interactive sessions only. */
    private static final String COMPLETIONS = ".completions";
    /** Session variable through which the argument scripts reach {@link Candidates}. */
    private static final String CANDIDATES = ".jitmemCandidates";
    private static final String COMMAND = ".jitmemCommand";
    private static final String VALUE = ".jitmemValue";

    private final Map<Function<List<String>, ? extends Collection<String>>, Map<String, Object>> completers =
        new ConcurrentHashMap<>();
    /** The generation each JLine session has installed; weak, so that closed sessions go. */
    private final Map<CommandSession, Long> sessions = new WeakHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final Candidates candidates = new Candidates();
    private final ServiceTracker<Object, Object> commands;
    private final Logger log;
    private volatile boolean active = true;

    /**
     * @param context this bundle's context, to follow the jitmem command services
     * @param log     where a failed installation is reported
     */
    @Activate
    public ShellCompletion(final BundleContext context, @Reference(service = LoggerFactory.class) final Logger log)
    {
        this.log = log;
        try
        {
            commands = new ServiceTracker<>(context, context.createFilter("(&(" + CommandProcessor.COMMAND_SCOPE +
                "=" + SCOPE + ")(" + CommandProcessor.COMMAND_FUNCTION + "=*))"), new Changes(context));
        }
        catch (final InvalidSyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
        commands.open(true);
    }

    /** Stops completing; what sessions installed stays, and its candidates are empty from now on. */
    @Deactivate
    public void deactivate()
    {
        active = false;
        commands.close();
    }

    /**
     * @param completer  candidates for the next word, given the command's name and the words before the one completed
     * @param properties its service properties, {@value #COMMANDS} among them
     */
    @Reference(service = Function.class, target = "(" + COMMANDS + "=*)", cardinality = ReferenceCardinality.MULTIPLE,
        policy = ReferencePolicy.DYNAMIC)
    void addCompleter(final Function<List<String>, ? extends Collection<String>> completer,
        final Map<String, Object> properties)
    {
        completers.put(completer, properties);
        generation.incrementAndGet();
    }

    /** @param completer a completer gone */
    void removeCompleter(final Function<List<String>, ? extends Collection<String>> completer)
    {
        completers.remove(completer);
        generation.incrementAndGet();
    }

    @Override
    public void beforeExecute(final CommandSession session, final CharSequence command)
    {
        if (!active || !(session.get(COMPLETIONS) instanceof Map))
        {
            return;
        }
        final long now = generation.get();
        synchronized (sessions)
        {
            if (Long.valueOf(now).equals(sessions.get(session)))
            {
                return;
            }
            // recorded first: the commands below run in this session and come back here
            sessions.put(session, now);
        }
        install(session, plan());
    }

    @Override
    public void afterExecute(final CommandSession session, final CharSequence command, final Exception exception)
    {
    }

    @Override
    public void afterExecute(final CommandSession session, final CharSequence command, final Object result)
    {
    }

    /**
     * Installs the completions of the commands present. Those of a command gone stay: their candidates are empty
     * while it is away, and evaluating them at a TAB runs this listener, which installs anew once it is back.
     */
    private void install(final CommandSession session, final Map<String, Completion> plan)
    {
        session.put(CANDIDATES, candidates);
        try
        {
            for (final Map.Entry<String, Completion> command : plan.entrySet())
            {
                final Completion completion = command.getValue();
                complete(session, command.getKey(), "-e", null);
                complete(session, command.getKey(), "-d", completion.description());
                complete(session, command.getKey(), "-a", "$" + CANDIDATES + " candidates " + command.getKey() +
                    " ($.commandLine words) ($.commandLine wordIndex)");
                if (completion.files())
                {
                    complete(session, command.getKey(), "-a", "__files");
                }
            }
        }
        catch (final Exception ex)
        {
            log.warn("jitmem command completion not installed in the shell session: {}", ex.toString());
        }
        finally
        {
            session.put(COMMAND, null);
            session.put(VALUE, null);
        }
    }

    /** Runs gogo.jline's {@code complete}, the values passed through variables so that nothing needs quoting. */
    private static void complete(final CommandSession session, final String command, final String option,
        final String value) throws Exception
    {
        if (option.equals("-d") && value == null)
        {
            return;
        }
        session.put(COMMAND, command);
        session.put(VALUE, value);
        session.execute("gogo:complete -c $" + COMMAND + " " + option + (value == null ? "" : " $" + VALUE));
    }

    /** @return every jitmem command present with its description and whether the shell completes file paths */
    private Map<String, Completion> plan()
    {
        final Map<String, Completion> plan = new TreeMap<>();
        final Set<String> files = new HashSet<>();
        completers.values().forEach(properties -> files.addAll(strings(properties.get(FILES))));
        final ServiceReference<Object>[] references = commands.getServiceReferences();
        for (final ServiceReference<Object> reference : references == null ? List.<ServiceReference<Object>>of() :
            Arrays.asList(references))
        {
            final Object service = commands.getService(reference);
            for (final String function : strings(reference.getProperty(CommandProcessor.COMMAND_FUNCTION)))
            {
                final String name = SCOPE + ":" + function;
                plan.put(name, new Completion(service == null ? null : description(service.getClass(), function),
                    files.contains(name)));
            }
        }
        return plan;
    }

    /** @return the {@code @Descriptor} of the function's fullest form: most parameters, variable arity first */
    private static String description(final Class<?> type, final String function)
    {
        return Arrays.stream(type.getMethods())
            .filter(method -> method.getName().equals(function) && method.isAnnotationPresent(Descriptor.class))
            .max(Comparator.comparingInt(Method::getParameterCount).thenComparing(Method::isVarArgs))
            .map(method -> method.getAnnotation(Descriptor.class).value())
            .orElse(null);
    }

    private static List<String> strings(final Object value)
    {
        if (value instanceof String[] array)
        {
            return List.of(array);
        }
        if (value instanceof Collection<?> collection)
        {
            return collection.stream().map(String::valueOf).toList();
        }
        return value == null ? List.of() : List.of(value.toString());
    }

    /**
     * @param description the command's description, or null
     * @param files       whether its arguments are file paths
     */
    private record Completion(String description, boolean files)
    {
    }

    /** What the argument scripts call, through the session variable, at each TAB. */
    public final class Candidates
    {
        private Candidates()
        {
        }

        /**
         * @param command the command completed, {@code jitmem:name}
         * @param words   the words of the command line, the command first
         * @param index   the index of the word completed
         * @return the candidates of the completers of the command, empty once this component is gone
         */
        public List<String> candidates(final String command, final List<String> words, final int index)
        {
            final List<String> before = new ArrayList<>();
            before.add(command);
            before.addAll(words.subList(1, Math.max(1, Math.min(index, words.size()))));
            final List<String> found = new ArrayList<>();
            if (active)
            {
                completers.forEach((completer, properties) ->
                {
                    if (strings(properties.get(COMMANDS)).contains(command))
                    {
                        Optional.ofNullable(completer.apply(List.copyOf(before))).ifPresent(found::addAll);
                    }
                });
            }
            return found;
        }
    }

    /** Counts the changes of the command services. */
    private final class Changes implements ServiceTrackerCustomizer<Object, Object>
    {
        private final BundleContext context;

        Changes(final BundleContext context)
        {
            this.context = context;
        }

        @Override
        public Object addingService(final ServiceReference<Object> reference)
        {
            generation.incrementAndGet();
            return context.getService(reference);
        }

        @Override
        public void modifiedService(final ServiceReference<Object> reference, final Object service)
        {
            generation.incrementAndGet();
        }

        @Override
        public void removedService(final ServiceReference<Object> reference, final Object service)
        {
            generation.incrementAndGet();
            context.ungetService(reference);
        }
    }
}
