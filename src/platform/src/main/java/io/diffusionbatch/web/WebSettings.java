package io.diffusionbatch.web;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The dashboard's web server settings.
 *
 * @param port         {@code diffusion.web.port}: 1..65535, 0 for a free port, -1 for no web server at all
 * @param address      {@code diffusion.web.address}: the address the server binds to (an IP address
 *                     or host name; {@link #DEFAULT_ADDRESS}, the loopback address, by default)
 * @param allowedHosts {@code diffusion.web.allowed-hosts}: the host names a request's {@code Host}
 *                     header may carry ({@link #DEFAULT_ALLOWED_HOSTS} by default); the bound
 *                     address is always allowed too
 */
public record WebSettings(int port, String address, List<String> allowedHosts) {

    /** The port used when {@code diffusion.web.port} is not set. */
    public static final int DEFAULT_PORT = 8470;
    /** The address used when {@code diffusion.web.address} is not set: loopback only. */
    public static final String DEFAULT_ADDRESS = "127.0.0.1";
    /** The host names allowed when {@code diffusion.web.allowed-hosts} is not set: the loopback names. */
    public static final List<String> DEFAULT_ALLOWED_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");

    public WebSettings {
        allowedHosts = List.copyOf(allowedHosts);
    }

    /**
     * Reads and checks the settings.
     *
     * @throws IllegalArgumentException naming the setting and the rule when a value is not allowed
     */
    public static WebSettings from(Environment env) {
        String text = env.getProperty("diffusion.web.port", Integer.toString(DEFAULT_PORT)).trim();
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            port = Integer.MIN_VALUE;
        }
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("diffusion.web.port: must be -1 (off), 0 (a free port) or 1..65535, was '"
                    + text + "'");
        }
        String address = env.getProperty("diffusion.web.address", DEFAULT_ADDRESS).trim();
        if (address.isEmpty() || !address.matches("[A-Za-z0-9.:%_\\[\\]-]+")) {
            throw new IllegalArgumentException("diffusion.web.address: must be an IP address or a host name, was '"
                    + address + "'");
        }
        List<String> hosts = Binder.get(env).bind("diffusion.web.allowed-hosts", Bindable.listOf(String.class))
                .orElse(DEFAULT_ALLOWED_HOSTS).stream().map(String::trim).filter(h -> !h.isEmpty()).toList();
        for (String h : hosts) {
            if (!h.matches("[A-Za-z0-9.:_\\[\\]-]+")) {
                throw new IllegalArgumentException("diffusion.web.allowed-hosts: each must be a host name or an IP address "
                        + "(no port), was '" + h + "'");
            }
        }
        return new WebSettings(port, address, hosts);
    }

    /** Whether there is a web server at all (port not -1). */
    public boolean enabled() {
        return port != -1;
    }

    /** Whether the address is the wildcard (every interface: {@code 0.0.0.0} or {@code ::}). */
    public boolean wildcard() {
        String a = bare(address);
        return a.equals("0.0.0.0") || a.equals("::") || a.equals("0:0:0:0:0:0:0:0");
    }

    /**
     * The host names a request may be addressed to, lower case, IPv6 literals without brackets:
     * the allowed hosts and, unless it is the wildcard, the bound address.
     */
    public Set<String> hostNames() {
        Set<String> names = new LinkedHashSet<>();
        for (String h : allowedHosts) {
            names.add(bare(h).toLowerCase(Locale.ROOT));
        }
        if (!wildcard()) {
            names.add(bare(address).toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /**
     * The dashboard's base URL for a bound {@code port}: the address (IPv6 in brackets), or
     * {@code 127.0.0.1} when bound to every interface.
     */
    public String url(int boundPort) {
        String host = wildcard() ? "127.0.0.1" : bare(address);
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + boundPort + "/";
    }

    /** The address as {@code server.address} takes it. */
    String serverAddress() {
        return bare(address);
    }

    /** Whether {@code address} resolves (a host name that does not is a configuration error). */
    boolean resolvable() {
        try {
            InetAddress.getByName(bare(address));
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A host name or IP literal without surrounding brackets. */
    static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
