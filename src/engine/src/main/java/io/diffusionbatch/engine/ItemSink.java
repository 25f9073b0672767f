package io.diffusionbatch.engine;

/**
 * Takes each item as soon as its micro-batch is done, so a long run never holds all its outputs
 * in memory. Called from the generating thread, never with null.
 */
@FunctionalInterface
public interface ItemSink {

    /**
     * @param index the item's position in the list passed to {@link Engine#generate}
     * @param item  the generated item
     */
    void accept(int index, GeneratedItem item);
}
