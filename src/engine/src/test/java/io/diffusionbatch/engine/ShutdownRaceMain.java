package io.diffusionbatch.engine;

import io.diffusionbatch.engine.model.EngineException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Child JVM of {@link EngineShutdownTest}: a server's stop in small. A worker thread generates
 * once the JVM has begun to exit, while a shutdown hook waits for it, as Spring's hook waits for a
 * running job's micro-batch; ONNX Runtime's own shutdown hook has released its environment by then.
 * Prints what the worker got; a crash of the JVM ends it with SIGSEGV instead.
 */
public final class ShutdownRaceMain {

    private ShutdownRaceMain() {
    }

    public static void main(String[] args) throws Exception {
        Engine engine = Engine.open(Path.of(args[0]), EngineOptions.cpu().withBatchSize(2));
        SamplingParams p = engine.defaultParams().withSteps(2);
        List<GenerationSpec> specs = List.of(new GenerationSpec("a red circle", "", 1, p),
                new GenerationSpec("a blue star", "", 2, p));
        CountDownLatch exiting = new CountDownLatch(1);
        Thread worker = new Thread(() -> {
            try {
                exiting.await();
                Thread.sleep(300); // ONNX Runtime's hook has run by now
                engine.generate(specs);
                System.out.println("generated");
            } catch (EngineException e) {
                System.out.println("refused: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "worker");
        worker.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            exiting.countDown();
            try {
                worker.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "waits-for-worker"));
        System.exit(0);
    }
}
