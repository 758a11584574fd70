package org.jitmem.channel;

import java.io.IOException;
import java.net.SocketAddress;

/** Where a {@link ChannelServer} accepts connections: a Unix domain socket or a TCP port. */
interface Listener
{
    /** A connection accepted and not yet opened. */
    interface Accepted
    {
        /**
         * Opens the connection, on the connection's own thread: a TLS handshake, bounded in time, for TCP.
         *
         * @return its transport
         * @throws IOException when the handshake fails or times out
         */
        Transport open() throws IOException;

        /** Closes the connection at once, whether it was opened or not; idempotent. */
        void abort();

        /** @return the peer, for messages */
        String peer();
    }

    /**
     * @return the next connection, or null when one was refused (and closed) here
     * @throws IOException when accepting failed
     */
    Accepted accept() throws IOException;

    /** @return false once closed */
    boolean isOpen();

    /** Stops accepting; idempotent. */
    void close();

    /** Removes what the listener left in the file system, waiting for nothing; idempotent. */
    void remove();

    /** @return the address listened on */
    SocketAddress localAddress();

    /** @return true when the connections run over a Unix domain socket */
    boolean isLocal();
}
