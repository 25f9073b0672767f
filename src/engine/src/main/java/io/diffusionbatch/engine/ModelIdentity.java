package io.diffusionbatch.engine;

/**
 * Which model made an item, as provenance records it.
 *
 * @param name          the model folder's name
 * @param sha256        SHA-256 of the folder's files (see {@code ModelFolder#sha256()})
 * @param latent        whether it is a latent model (has a VAE decoder)
 * @param engineVersion the engine's version
 */
public record ModelIdentity(String name, String sha256, boolean latent, String engineVersion) {

    /** The first ten hex digits of the hash, as the A1111 web UI shows model hashes. */
    public String shortHash() {
        return sha256.substring(0, 10);
    }
}
