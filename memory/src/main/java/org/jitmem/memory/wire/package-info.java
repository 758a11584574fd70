/**
 * The messages every executor-channel backend shares: numbers, address lists, calls and allocations as argument and
 * result blocks of executor functions ({@link org.jitmem.memory.wire.MapperCodec}), and the executor functions that
 * deinitialize, release and call through an {@link org.jitmem.memory.ExecutorMemory}
 * ({@link org.jitmem.memory.wire.MemoryFunctions}); on the controller's side, the base of mappers over a channel
 * ({@link org.jitmem.memory.wire.ChannelMemoryMapper}) and the steps it is made of
 * ({@link org.jitmem.memory.wire.ChannelMapping}).
 */
@Version("1.1.0")
@Export
package org.jitmem.memory.wire;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
