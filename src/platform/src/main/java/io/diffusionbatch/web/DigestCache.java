package io.diffusionbatch.web;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The SHA-256 of served files, remembered by (file, size, version) so that a file is hashed once per version
 * rather than on every request (a page of thumbnails asks for dozens, a video is megabytes). The version is the
 * output store's (a local file's inode and modification time): a file rewritten or replaced gets a new one and is
 * hashed again; only a change that keeps size, inode and modification time (a deliberate reset of the time) goes
 * unseen until the entry is evicted. At most {@code capacity} entries, least recently used evicted. Thread-safe;
 * arguments are never null.
 */
final class DigestCache {

    /** What identifies a file's content for the cache. */
    record Key(String file, long size, String version) {
    }

    private final int capacity;
    private final Map<Key, String> digests;

    DigestCache(int capacity) {
        this.capacity = capacity;
        this.digests = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, String> eldest) {
                return size() > DigestCache.this.capacity;
            }
        };
    }

    /** The hex SHA-256 of {@code channel}'s content (read from the start when not cached); leaves it at the start. */
    String sha256(Key key, SeekableByteChannel channel) throws IOException {
        synchronized (digests) {
            String known = digests.get(key);
            if (known != null) {
                return known;
            }
        }
        String computed = hash(channel);
        synchronized (digests) {
            digests.put(key, computed);
        }
        return computed;
    }

    int size() {
        synchronized (digests) {
            return digests.size();
        }
    }

    private static String hash(SeekableByteChannel channel) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        channel.position(0);
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        while (channel.read(buf) > 0) {
            buf.flip();
            d.update(buf);
            buf.clear();
        }
        channel.position(0);
        return HexFormat.of().formatHex(d.digest());
    }
}
