/**
 * The private channel between a controller and an executor process: a framed, versioned binary protocol over a Unix
 * domain socket in a private directory ({@link org.jitmem.channel.Protocol}), its controller end
 * ({@link org.jitmem.channel.SocketExecutorChannel}) and its executor end ({@link org.jitmem.channel.ChannelServer}). On
 * Linux short calls take a lane instead of the socket: memory both processes map, with futex wake-ups for sleepers.
 * Executors on other hosts are reached over TCP with mutually authenticated TLS 1.3 and heartbeats
 * ({@link org.jitmem.channel.TcpListenOptions}, {@link org.jitmem.channel.TcpConnectOptions},
 * {@link org.jitmem.channel.TlsStores}).
 */
@Version("1.3.0")
@Export
package org.jitmem.channel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
