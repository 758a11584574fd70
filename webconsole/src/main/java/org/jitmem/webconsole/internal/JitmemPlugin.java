package org.jitmem.webconsole.internal;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.jitmem.launcher.ExecutorStatus;
import org.jitmem.launcher.ExecutorSupervisor;
import org.jitmem.runtime.BackendDescription;
import org.jitmem.runtime.BackendSelector;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Web Console page labelled {@value #LABEL}: a plain servlet, which the Web Console frames for GET and passes
 * every other request to. A GET only shows; the actions (pin a backend type, start or stop the executor) are POSTs
 * that {@link ActionGuard} lets through, answered with a redirect to the page.
 */
@Component(service = Servlet.class, property = {
    "felix.webconsole.label=" + JitmemPlugin.LABEL,
    "felix.webconsole.title=jitmem",
    "felix.webconsole.category=jitmem"})
public final class JitmemPlugin extends HttpServlet
{
    /** The page's label: its address is the Web Console's root followed by it. */
    static final String LABEL = "jitmem";

    private static final long serialVersionUID = 1L;

    private final transient BackendSelector selector;
    private final transient UsageSampler sampler;
    private final transient ExecutorSupervisor supervisor;
    private final transient ActionGuard guard = new ActionGuard();

    /**
     * @param selector   the backend selector
     * @param sampler    the recent samples of each backend
     * @param supervisor the executor supervisor, null when none is present
     */
    @Activate
    public JitmemPlugin(@Reference final BackendSelector selector, @Reference final UsageSampler sampler,
        @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
        final ExecutorSupervisor supervisor)
    {
        this.selector = selector;
        this.sampler = sampler;
        this.supervisor = supervisor;
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response) throws IOException
    {
        response.setContentType("text/html;charset=UTF-8");
        new JitmemPage(response.getWriter()).write(selector.backends(), selector.pinnedType(), selector.managers(),
            sampler.history(), supervisor == null ? null : supervisor.status(), guard.token(),
            request.getParameter(JitmemPage.OUTCOME));
    }

    @Override
    protected void doPost(final HttpServletRequest request, final HttpServletResponse response) throws IOException
    {
        final String refusal = guard.refusal(request);
        if (refusal != null)
        {
            response.sendError(HttpServletResponse.SC_FORBIDDEN, refusal);
            return;
        }
        final String action = String.valueOf(request.getParameter(JitmemPage.ACTION));
        final String outcome;
        switch (action)
        {
            case "pin" -> outcome = pin(String.valueOf(request.getParameter(JitmemPage.TYPE)));
            case "start" -> outcome = executor("start", supervisor == null ? null : supervisor::start);
            case "stop" -> outcome = executor("stop", supervisor == null ? null : supervisor::stop);
            default -> outcome = null;
        }
        if (outcome == null)
        {
            response.sendError(HttpServletResponse.SC_BAD_REQUEST, "unknown action: action=" + action);
            return;
        }
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", request.getRequestURI() + "?" + JitmemPage.OUTCOME + "=" +
            URLEncoder.encode(outcome, StandardCharsets.UTF_8));
    }

    private String pin(final String type)
    {
        if (!type.isEmpty() && selector.backends().stream().map(BackendDescription::type).noneMatch(type::equals))
        {
            return "not pinned: no backend of type " + type + " is present";
        }
        selector.pin(type);
        return type.isEmpty() ? "unpinned: the best backend present is selected" : "pinned " + type;
    }

    private String executor(final String verb, final Supplier<CompletionStage<ExecutorStatus>> action)
    {
        if (action == null)
        {
            return "no executor supervisor present";
        }
        try
        {
            final ExecutorStatus status = action.get().toCompletableFuture()
                .get(supervisor.actionBoundSeconds(), TimeUnit.SECONDS);
            return "executor " + verb + ": " + status.phase() + (status.pid() > 0 ? " pid " + status.pid() : "");
        }
        catch (final TimeoutException ex)
        {
            return "executor " + verb + " still in progress after " + supervisor.actionBoundSeconds() + " s";
        }
        catch (final ExecutionException ex)
        {
            return "executor " + verb + " failed: " + ex.getCause().getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "executor " + verb + " interrupted";
        }
    }
}
