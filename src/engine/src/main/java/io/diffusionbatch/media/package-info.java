/**
 * Output files: PNG with provenance text chunks, raw .npy arrays, GIF and MP4 video with sidecar provenance.
 */
package io.diffusionbatch.media;
