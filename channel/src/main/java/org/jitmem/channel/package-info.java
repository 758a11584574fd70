/**
 * The private channel between a controller and an executor process: a framed, versioned binary protocol over a Unix
 * domain socket in a private directory ({@link org.jitmem.channel.Protocol}), its controller end
 * ({@link org.jitmem.channel.SocketExecutorChannel}) and its executor end ({@link org.jitmem.channel.ChannelServer}). On
 * Linux short calls take a lane instead of the socket: memory both processes map, with futex wake-ups for sleepers.
 */
@Version("1.2.0")
@Export
package org.jitmem.channel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
