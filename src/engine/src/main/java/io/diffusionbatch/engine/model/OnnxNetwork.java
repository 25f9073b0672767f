package io.diffusionbatch.engine.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ONNX network of a model folder (text encoder, UNet or VAE decoder) in an ONNX Runtime
 * session, with its inputs and outputs read from the graph.
 *
 * <p>Thread-safe: ONNX Runtime sessions may be run concurrently. Close it to free the session.
 */
public final class OnnxNetwork implements AutoCloseable {

    private final String role;
    private final Path file;
    private final OrtSession session;
    private final Map<String, TensorSpec> inputs;
    private final Map<String, TensorSpec> outputs;

    private OnnxNetwork(String role, Path file, OrtSession session) throws OrtException {
        this.role = role;
        this.file = file;
        this.session = session;
        this.inputs = specs(session.getInputInfo());
        this.outputs = specs(session.getOutputInfo());
    }

    /**
     * Loads a network.
     *
     * @param role what it is in the model ("unet", "text_encoder", "vae_decoder"), used in messages
     */
    public static OnnxNetwork open(OrtEnvironment env, String role, Path file, OrtSession.SessionOptions options) {
        JvmShutdown.checkRunning(role);
        OrtSession session = null;
        try {
            session = env.createSession(file.toString(), options);
            return new OnnxNetwork(role, file, session);
        } catch (OrtException e) {
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new EngineException(role + ": ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    public String role() {
        return role;
    }

    public Path file() {
        return file;
    }

    /** Graph inputs in declaration order. */
    public Map<String, TensorSpec> inputs() {
        return inputs;
    }

    /** Graph outputs in declaration order. */
    public Map<String, TensorSpec> outputs() {
        return outputs;
    }

    /** The named input, or an error that lists what the graph has. */
    public TensorSpec input(String name) {
        TensorSpec s = inputs.get(name);
        if (s == null) {
            throw new EngineException(role + ": " + file + " has no input '" + name + "'; its inputs are " + inputs.values());
        }
        return s;
    }

    /** The output called {@code preferred}, or the first output. */
    public TensorSpec outputOrFirst(String preferred) {
        TensorSpec s = outputs.get(preferred);
        return s != null ? s : outputs.values().iterator().next();
    }

    /** A float output, flattened, with its shape. */
    public record Output(float[] data, long[] shape) {
    }

    /**
     * Runs the network and returns one float output (float16 outputs are widened to float32).
     *
     * @param feed   input tensors by name; closed by this method
     * @param output name of the output to return
     * @throws EngineException when ONNX Runtime fails, or when the JVM is shutting down (see {@link JvmShutdown})
     */
    public Output run(Map<String, OnnxTensor> feed, String output) {
        return run(feed, List.of(output)).get(0);
    }

    /**
     * Runs the network and returns several float outputs, in the order asked (float16 outputs are
     * widened to float32).
     *
     * @param feed    input tensors by name; closed by this method
     * @param outputs names of the outputs to return; not empty
     * @throws EngineException when ONNX Runtime fails, an output is not a float tensor, or the JVM is
     *                         shutting down (see {@link JvmShutdown})
     */
    public List<Output> run(Map<String, OnnxTensor> feed, List<String> outputs) {
        try {
            JvmShutdown.checkRunning(role);
        } catch (EngineException e) {
            feed.values().forEach(OnnxTensor::close);
            throw e;
        }
        try (OrtSession.Result r = session.run(feed, new java.util.LinkedHashSet<>(outputs))) {
            List<Output> out = new java.util.ArrayList<>(outputs.size());
            for (String output : outputs) {
                OnnxTensor t = r.get(output).orElse(null) instanceof OnnxTensor tensor ? tensor : null;
                FloatBuffer fb = t == null ? null : t.getFloatBuffer();
                if (fb == null) {
                    throw new EngineException(role + ": output '" + output + "' of " + file + " is not a float tensor");
                }
                float[] data = new float[fb.remaining()];
                fb.get(data);
                out.add(new Output(data, t.getInfo().getShape()));
            }
            return out;
        } catch (OrtException e) {
            throw new EngineException(role + ": ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /** Builds the feed of one call: rows [from, from + count) padded to {@code batch} rows. */
    @FunctionalInterface
    public interface ChunkFeed {
        Map<String, OnnxTensor> feed(int from, int count, int batch);
    }

    /**
     * Runs {@code rows} rows through the network in calls of {@code fixedBatch} rows (the last call
     * padded by the feed), or in one call when {@code fixedBatch} is -1 (a dynamic batch dimension).
     *
     * @return the output split into one array per row
     */
    public float[][] runRows(int rows, long fixedBatch, String output, ChunkFeed feed) {
        return runRows(rows, fixedBatch, List.of(output), feed).get(0);
    }

    /**
     * {@link #runRows(int, long, String, ChunkFeed)} for several outputs at once.
     *
     * @return per output, in the order asked, one array per row
     */
    public List<float[][]> runRows(int rows, long fixedBatch, List<String> outputs, ChunkFeed feed) {
        int size = fixedBatch > 0 ? (int) fixedBatch : rows;
        List<float[][]> out = new java.util.ArrayList<>();
        for (int k = 0; k < outputs.size(); k++) {
            out.add(new float[rows][]);
        }
        for (int from = 0; from < rows; from += size) {
            int count = Math.min(size, rows - from);
            List<Output> results = run(feed.feed(from, count, size), outputs);
            for (int k = 0; k < outputs.size(); k++) {
                float[] data = results.get(k).data();
                int per = data.length / size;
                for (int r = 0; r < count; r++) {
                    out.get(k)[from + r] = java.util.Arrays.copyOfRange(data, r * per, (r + 1) * per);
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new EngineException(role + ": cannot close session: " + e.getMessage(), e);
        }
    }

    private static Map<String, TensorSpec> specs(Map<String, NodeInfo> info) {
        Map<String, TensorSpec> m = new LinkedHashMap<>();
        for (NodeInfo n : info.values()) {
            if (n.getInfo() instanceof TensorInfo t) {
                m.put(n.getName(), new TensorSpec(n.getName(), t.type, t.getShape()));
            }
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
