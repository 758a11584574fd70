package org.jitmem.webconsole.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

import javax.servlet.http.HttpServletRequest;

/**
 * Lets an action through only when it is a POST from the page itself. The Web Console protects its own forms only
 * by HTTP authentication and by taking actions through POST alone; since a browser sends the credentials with any
 * cross-site form as well, the page adds a form token of its own (random per activation, compared in constant time)
 * and, when the browser names one, requires the origin (or else the referrer) to be the page's own.
 */
final class ActionGuard
{
    /** The form field that carries the token. */
    static final String TOKEN = "token";

    private static final int TOKEN_BYTES = 24;

    private final String token;

    ActionGuard()
    {
        final byte[] random = new byte[TOKEN_BYTES];
        new SecureRandom().nextBytes(random);
        this.token = HexFormat.of().formatHex(random);
    }

    /** @return the token the page's forms carry */
    String token()
    {
        return token;
    }

    /**
     * @param request an action request
     * @return why it is refused, or null when it may run
     */
    String refusal(final HttpServletRequest request)
    {
        if (!"POST".equals(request.getMethod()))
        {
            return "actions take POST: method=" + request.getMethod();
        }
        final String given = request.getParameter(TOKEN);
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
            token.getBytes(StandardCharsets.UTF_8)))
        {
            return "the form token is missing or stale: reload the page";
        }
        final String origin = request.getHeader("Origin") != null ? request.getHeader("Origin") :
            request.getHeader("Referer");
        if (origin != null && !sameOrigin(origin, request))
        {
            return "cross-origin request refused: origin=" + origin;
        }
        return null;
    }

    private static boolean sameOrigin(final String origin, final HttpServletRequest request)
    {
        try
        {
            final URI uri = new URI(origin);
            final int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            return request.getScheme().equalsIgnoreCase(uri.getScheme()) &&
                request.getServerName().equalsIgnoreCase(uri.getHost()) && request.getServerPort() == port;
        }
        catch (final URISyntaxException ex)
        {
            return false;
        }
    }
}
