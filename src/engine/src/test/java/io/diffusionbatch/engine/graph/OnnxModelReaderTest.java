package io.diffusionbatch.engine.graph;

import static io.diffusionbatch.engine.graph.GraphStatsHandBuiltTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.diffusionbatch.engine.graph.OnnxModel.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelReaderTest {

    @Test
    void externalDataIsCountedFromDimsWithoutOpeningTheDataFile(@TempDir Path dir) throws Exception {
        // only the .onnx file is copied: the reader must not need external_data.bin
        Path model = dir.resolve("external.onnx");
        Files.copy(fixture("external.onnx"), model);
        OnnxModel m = OnnxModel.read(model);
        assertThat(m.defaultOpset()).isEqualTo(13);
        assertThat(m.graph().initializers()).hasSize(2).allSatisfy(t -> {
            assertThat(t.external()).isTrue();
            assertThat(t.externalData()).containsEntry("location", "external_data.bin").containsKey("length");
            assertThat(t.floatValues()).isNull();
        });
        Tensor w1 = m.graph().initializers().get(0);
        assertThat(w1.dims()).containsExactly(16, 3, 3, 3);
        assertThat(w1.externalData()).containsEntry("length", Long.toString(16 * 3 * 3 * 3 * 4));

        GraphStats s = GraphStats.of(model, Map.of());
        assertThat(s.parameters()).isEqualTo(16 * 3 * 3 * 3 + 10 * 16);
        // Conv 3->16, 3x3, pad 1 on 8x8: 16*8*8 outputs x 3*9; GlobalAveragePool; Flatten; Gemm 16->10
        assertThat(s.macsPerEvaluation()).isEqualTo(16L * 8 * 8 * 3 * 9 + 16 * 10);
        assertThat(s.complete()).isTrue();
    }

    @Test
    void shapeArithmeticIsFoldedAndUnknownShapesAreReported() throws Exception {
        OnnxModel m = OnnxModel.read(fixture("shape_folding.onnx"));
        Tensor wm = m.graph().initializers().stream().filter(t -> t.name().equals("wm")).findFirst().orElseThrow();
        assertThat(wm.floatValues()).hasSize(240); // float_data, not raw_data
        Tensor neg = m.graph().initializers().stream().filter(t -> t.name().equals("neg_one")).findFirst().orElseThrow();
        assertThat(neg.intValues()).containsExactly(-1L); // 10-byte varint

        GraphStats s = GraphStats.of(m, Map.of("x", new long[] {5, 6, 4}));
        // Reshape([5,6,4], Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) = [5, 24]; MatMul with [24, 10]
        assertThat(s.byOpType().get("MatMul").macs()).isEqualTo(5L * 24 * 10);
        assertThat(s.macsPerEvaluation()).isEqualTo(5L * 24 * 10);
        // MatMul of NonZero outputs: data-dependent shape
        assertThat(s.unresolvedNodes()).hasSize(1);
        assertThat(s.unresolvedNodes().get(0).opType()).isEqualTo("MatMul");
        assertThat(s.byOpType().get("MatMul").unresolved()).isEqualTo(1);
        assertThat(s.complete()).isFalse();
    }

    // ------------------------------------------------------------------ wire format

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void key(ByteArrayOutputStream o, int field, int wire) {
        varint(o, ((long) field << 3) | wire);
    }

    private static void bytes(ByteArrayOutputStream o, int field, byte[] b) {
        key(o, field, 2);
        varint(o, b.length);
        o.writeBytes(b);
    }

    @Test
    void tensorWithUnpackedAndPackedFieldsAndUnknownFieldsOfEveryWireType() {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        key(t, 1, 0); // dims unpacked: 2
        varint(t, 2);
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        varint(packed, 3); // dims packed: 3
        bytes(t, 1, packed.toByteArray());
        key(t, 2, 0);
        varint(t, 7); // INT64
        key(t, 99, 1); // unknown fixed64
        t.writeBytes(new byte[8]);
        key(t, 98, 5); // unknown fixed32
        t.writeBytes(new byte[4]);
        bytes(t, 97, "ignored".getBytes(StandardCharsets.UTF_8)); // unknown length-delimited
        key(t, 96, 0); // unknown varint
        varint(t, 300);
        bytes(t, 8, "t".getBytes(StandardCharsets.UTF_8));
        ByteBuffer raw = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : new long[] {1, -2, 3, Long.MAX_VALUE, Long.MIN_VALUE, 0}) {
            raw.putLong(v);
        }
        bytes(t, 9, raw.array());
        Tensor tensor = OnnxModelReader.tensor(new ProtoReader(ByteBuffer.wrap(t.toByteArray())));
        assertThat(tensor.name()).isEqualTo("t");
        assertThat(tensor.dims()).containsExactly(2, 3);
        assertThat(tensor.dataType()).isEqualTo(7);
        assertThat(tensor.intValues()).containsExactly(1, -2, 3, Long.MAX_VALUE, Long.MIN_VALUE, 0);
        assertThat(tensor.elementCount()).isEqualTo(6);
        assertThat(tensor.external()).isFalse();
    }

    @Test
    void float16RawDataIsDecoded() {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        key(t, 1, 0);
        varint(t, 3);
        key(t, 2, 0);
        varint(t, 10); // FLOAT16
        ByteBuffer raw = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        raw.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x3555); // 1, -2, ~0.333
        bytes(t, 9, raw.array());
        Tensor tensor = OnnxModelReader.tensor(new ProtoReader(ByteBuffer.wrap(t.toByteArray())));
        assertThat(tensor.floatValues()).containsExactly(1.0, -2.0, 0.333251953125);
    }

    @Test
    void truncatedOrGarbageInputFailsClearly(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        key(t, 7, 2);
        varint(t, 100); // graph claims 100 bytes, none follow
        Path f = dir.resolve("bad.onnx");
        Files.write(f, t.toByteArray());
        assertThatThrownBy(() -> OnnxModel.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed protobuf").hasMessageContaining("exceeds");
        Path g = dir.resolve("nograph.onnx");
        Files.write(g, new byte[] {0x08, 0x07}); // ir_version 7 only
        assertThatThrownBy(() -> OnnxModel.read(g)).hasMessageContaining("no graph");
    }

    @Test
    void largeRawTensorsAreNotDecoded() {
        int n = Tensor.DECODE_LIMIT + 1;
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        key(t, 1, 0);
        varint(t, n);
        key(t, 2, 0);
        varint(t, 1); // FLOAT
        bytes(t, 9, new byte[4 * n]);
        Tensor tensor = OnnxModelReader.tensor(new ProtoReader(ByteBuffer.wrap(t.toByteArray())));
        assertThat(tensor.elementCount()).isEqualTo(n);
        assertThat(tensor.floatValues()).isNull();
        assertThat(tensor.intValues()).isNull();
    }

    @Test
    void filesOf2GiBOrMoreAreRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("huge.onnx");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(1L << 31); // sparse: no disk space used
        }
        assertThatThrownBy(() -> OnnxModel.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 GiB").hasMessageContaining("external data");
    }
}
