/**
 * The private channel between a controller and an executor process: a framed, versioned binary protocol over a Unix
 * domain socket in a private directory ({@link org.jitmem.channel.Protocol}), its controller end
 * ({@link org.jitmem.channel.SocketExecutorChannel}) and its executor end ({@link org.jitmem.channel.ChannelServer}).
 */
@Version("1.0.0")
@Export
package org.jitmem.channel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
