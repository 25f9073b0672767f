package io.diffusionbatch.dataset;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ustar shards' writer: its header bytes, its determinism, its padding, its refusals, and Python's reading. */
class TarWriterTest {

    @TempDir
    Path tmp;

    private static byte[] archive(Map<String, byte[]> members) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(bytes)) {
            for (Map.Entry<String, byte[]> m : members.entrySet()) {
                tar.add(m.getKey(), m.getValue());
            }
        }
        return bytes.toByteArray();
    }

    private static String field(byte[] tar, int offset, int length) {
        return new String(tar, offset, length, StandardCharsets.US_ASCII);
    }

    private static boolean zeros(byte[] tar, int from, int to) {
        for (int i = from; i < to; i++) {
            if (tar[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void theHeaderHoldsEachUstarFieldAtItsOffset() throws IOException {
        byte[] tar = archive(Map.of("0000000007.json", "{\"a\":1}".getBytes(StandardCharsets.US_ASCII)));

        assertThat(field(tar, 0, 15)).isEqualTo("0000000007.json");
        assertThat(zeros(tar, 15, 100)).as("rest of name").isTrue();
        assertThat(field(tar, 100, 8)).as("mode").isEqualTo("0000644\0");
        assertThat(field(tar, 108, 8)).as("uid").isEqualTo("0000000\0");
        assertThat(field(tar, 116, 8)).as("gid").isEqualTo("0000000\0");
        assertThat(field(tar, 124, 12)).as("size").isEqualTo("00000000007\0");
        assertThat(field(tar, 136, 12)).as("mtime").isEqualTo("07033241600\0");
        assertThat(Long.parseLong("07033241600", 8)).isEqualTo(TarWriter.MTIME).isEqualTo(946684800L);
        assertThat(tar[156]).as("typeflag").isEqualTo((byte) '0');
        assertThat(zeros(tar, 157, 257)).as("linkname").isTrue();
        assertThat(field(tar, 257, 6)).as("magic").isEqualTo("ustar\0");
        assertThat(field(tar, 263, 2)).as("version").isEqualTo("00");
        assertThat(zeros(tar, 265, 329)).as("uname and gname").isTrue();
        assertThat(field(tar, 329, 8)).as("devmajor").isEqualTo("0000000\0");
        assertThat(field(tar, 337, 8)).as("devminor").isEqualTo("0000000\0");
        assertThat(zeros(tar, 345, 512)).as("prefix and the header's padding").isTrue();

        // checksum: all header bytes as unsigned, the chksum field's own eight counted as spaces
        String chksum = field(tar, 148, 8);
        assertThat(chksum).matches("[0-7]{6}\0 ");
        int total = 0;
        for (int i = 0; i < 512; i++) {
            total += Byte.toUnsignedInt(tar[i]);
        }
        for (int i = 148; i < 156; i++) {
            total += ' ' - Byte.toUnsignedInt(tar[i]);
        }
        assertThat(Integer.parseInt(chksum.substring(0, 6), 8)).isEqualTo(total);

        assertThat(field(tar, 512, 7)).isEqualTo("{\"a\":1}");
        assertThat(zeros(tar, 519, tar.length)).as("content padding, end blocks, record padding").isTrue();
        assertThat(tar).hasSize(TarWriter.RECORD_SIZE);
    }

    @Test
    void theSameAddsGiveTheSameBytes() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        Random random = new Random(7);
        for (int i = 0; i < 5; i++) {
            byte[] content = new byte[random.nextInt(3000)];
            random.nextBytes(content);
            members.put("%010d.png".formatted(i), content);
            members.put("%010d.json".formatted(i), ("{\"index\":" + i + "}").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] first = archive(members);
        byte[] second = archive(members);
        assertThat(second).isEqualTo(first);
        assertThat(first.length % TarWriter.RECORD_SIZE).isZero();
    }

    @Test
    void theArchiveEndsWithTwoZeroBlocksAndIsPaddedToWholeRecords() throws IOException {
        ByteArrayOutputStream empty = new ByteArrayOutputStream();
        TarWriter none = new TarWriter(empty);
        none.close();
        assertThat(none.bytesWritten()).isEqualTo(TarWriter.RECORD_SIZE);
        assertThat(empty.toByteArray()).isEqualTo(new byte[TarWriter.RECORD_SIZE]);

        // 1 header + 17 content blocks + 2 end blocks = 20 blocks: one record exactly, no padding
        ByteArrayOutputStream exact = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(exact)) {
            tar.add("a", new byte[17 * 512]);
            assertThat(tar.bytesWritten()).isEqualTo(18 * 512).isEqualTo(exact.size());
            tar.close();
            assertThat(tar.bytesWritten()).isEqualTo(TarWriter.RECORD_SIZE).isEqualTo(exact.size());
        }

        // one byte more takes a content block more: 21 blocks, padded to two records
        ByteArrayOutputStream over = new ByteArrayOutputStream();
        TarWriter tar = new TarWriter(over);
        tar.add("a", new byte[17 * 512 + 1]);
        assertThat(tar.bytesWritten()).isEqualTo(19 * 512).isEqualTo(over.size());
        tar.close();
        assertThat(tar.bytesWritten()).isEqualTo(2 * TarWriter.RECORD_SIZE).isEqualTo(over.size());
        assertThat(zeros(over.toByteArray(), 19 * 512, over.size())).isTrue();
    }

    @Test
    void closeClosesTheStreamOnceAndAddsAfterItAreRefused() throws IOException {
        int[] closes = {0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream() {
            @Override
            public void close() {
                closes[0]++;
            }
        };
        TarWriter tar = new TarWriter(bytes);
        tar.add("a.json", new byte[0]);
        tar.close();
        tar.close();
        assertThat(closes[0]).isOne();
        assertThat(bytes.size()).isEqualTo(TarWriter.RECORD_SIZE);
        assertThatThrownBy(() -> tar.add("b.json", new byte[1])).isInstanceOf(IllegalStateException.class)
                .hasMessage("tar member 'b.json': the archive is closed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/abs.png", "a/../b.png", "..", "../a", "a//b", "a/", "./a", "a/./b", ".",
            "a b.png", "caf\u00e9.png", "a\\b", "a:b", "a\0b"})
    void namesOutsideTheRulesAreRefused(String name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(bytes)) {
            assertThatThrownBy(() -> tar.add(name, new byte[1])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("tar member '" + name + "': ");
            assertThat(tar.bytesWritten()).isZero();
        }
    }

    @Test
    void theRuleBrokenIsNamed() throws IOException {
        try (TarWriter tar = new TarWriter(new ByteArrayOutputStream())) {
            assertThatThrownBy(() -> tar.add("/a", new byte[0]))
                    .hasMessage("tar member '/a': it must be relative (no leading '/')");
            assertThatThrownBy(() -> tar.add("a/../b", new byte[0]))
                    .hasMessage("tar member 'a/../b': no segment may be empty, '.' or '..' (no trailing or doubled '/')");
            assertThatThrownBy(() -> tar.add("a b", new byte[0]))
                    .hasMessage("tar member 'a b': only the ASCII characters A-Z a-z 0-9 . _ / - are allowed");
        }
    }

    @Test
    void namesFillTheHundredBytesOfTheNameFieldAndNoMore() throws IOException {
        String hundred = "d/" + "x".repeat(93) + ".json";
        assertThat(hundred).hasSize(100);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(bytes)) {
            tar.add(hundred, new byte[0]);
            String longer = "x" + hundred;
            assertThatThrownBy(() -> tar.add(longer, new byte[0])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tar member '" + longer + "': it is 101 bytes, over the 100 of the ustar name field");
        }
        assertThat(field(bytes.toByteArray(), 0, 100)).isEqualTo(hundred);
        assertThat(field(bytes.toByteArray(), 100, 8)).as("mode follows, no NUL needed").isEqualTo("0000644\0");
    }

    @Test
    void aNameAddedTwiceIsRefused() throws IOException {
        try (TarWriter tar = new TarWriter(new ByteArrayOutputStream())) {
            tar.add("0000000001.png", new byte[3]);
            long size = tar.bytesWritten();
            assertThatThrownBy(() -> tar.add("0000000001.png", new byte[3])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tar member '0000000001.png': the name is already in the archive");
            assertThat(tar.bytesWritten()).isEqualTo(size);
        }
    }

    @Test
    void sizesOverEightGibibytesLessOneAreRefusedBeforeAnythingIsWritten() throws IOException {
        assertThat(TarWriter.MAX_SIZE).isEqualTo((8L << 30) - 1);
        try (TarWriter tar = new TarWriter(new ByteArrayOutputStream())) {
            assertThatThrownBy(() -> tar.add("big.mp4", 8L << 30, InputStream.nullInputStream()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tar member 'big.mp4': size 8589934592 is outside 0..8589934591 (8 GiB - 1, the ustar size field)");
            assertThat(tar.bytesWritten()).isZero();
        }
    }

    @Test
    void aStreamedMemberIsTheSameAsItsArray() throws IOException {
        byte[] content = new byte[70_000];
        new Random(3).nextBytes(content);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        try (TarWriter tar = new TarWriter(streamed)) {
            tar.add("0000000000.mp4", content.length, new ByteArrayInputStream(content));
        }
        assertThat(streamed.toByteArray()).isEqualTo(archive(Map.of("0000000000.mp4", content)));
    }

    @Test
    void aStreamOfAnotherLengthFailsTheArchive() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarWriter tar = new TarWriter(bytes);
        assertThatThrownBy(() -> tar.add("short.mp4", 10, new ByteArrayInputStream(new byte[4])))
                .isInstanceOf(IOException.class).hasMessage("tar member 'short.mp4': its content ended after 4 of 10 bytes");
        assertThatThrownBy(() -> tar.add("next.mp4", new byte[1])).isInstanceOf(IllegalStateException.class)
                .hasMessage("tar member 'next.mp4': the archive is incomplete after a failed add");
        tar.close();
        assertThat(bytes.size()).as("no end blocks after a broken member").isEqualTo(512 + 4);

        TarWriter longer = new TarWriter(new ByteArrayOutputStream());
        assertThatThrownBy(() -> longer.add("long.mp4", 3, new ByteArrayInputStream(new byte[4])))
                .isInstanceOf(IOException.class).hasMessage("tar member 'long.mp4': its content holds more than 3 bytes");
        longer.close();
    }

    /** Python's tarfile, which verifies each header's checksum, reads back every member and attribute. */
    @Test
    void pythonsTarfileReadsWhatWasWritten() throws Exception {
        Assumptions.assumeTrue(Python.available(), "python3 is not on PATH (CI installs it)");
        Map<String, byte[]> members = new LinkedHashMap<>();
        Random random = new Random(11);
        members.put("empty.json", new byte[0]);
        members.put("one-block.bin", new byte[512]);
        byte[] odd = new byte[1000];
        random.nextBytes(odd);
        members.put("train/0000000000.png", odd);
        members.put("n".repeat(95) + ".json", "{\"k\":\"v\"}".getBytes(StandardCharsets.US_ASCII));
        byte[] big = new byte[200_000];
        random.nextBytes(big);
        members.put("0000000001.mp4", big);
        Path file = tmp.resolve("shard.tar");
        Files.write(file, archive(members));

        String script = """
                import hashlib, json, sys, tarfile
                with tarfile.open(sys.argv[1], "r:") as tar:
                    out = [{"name": m.name, "size": m.size, "mode": m.mode, "uid": m.uid, "gid": m.gid,
                            "mtime": m.mtime, "uname": m.uname, "gname": m.gname, "type": m.type.decode("ascii"),
                            "sha256": hashlib.sha256(tar.extractfile(m).read()).hexdigest()}
                           for m in tar.getmembers()]
                print(json.dumps(out))
                """;
        Python.Result result = Python.script(script, file.toString());
        assertThat(result.exit()).as(result.err()).isZero();

        JsonNode read = JsonMapper.builder().build().readTree(result.out());
        assertThat(read.size()).isEqualTo(members.size());
        List<Map.Entry<String, byte[]>> written = List.copyOf(members.entrySet());
        for (int i = 0; i < written.size(); i++) {
            JsonNode m = read.get(i);
            byte[] content = written.get(i).getValue();
            assertThat(m.get("name").asString()).isEqualTo(written.get(i).getKey());
            assertThat(m.get("size").asLong()).isEqualTo(content.length);
            assertThat(m.get("mode").asInt()).isEqualTo(0644);
            assertThat(m.get("uid").asInt()).isZero();
            assertThat(m.get("gid").asInt()).isZero();
            assertThat(m.get("mtime").asLong()).isEqualTo(TarWriter.MTIME);
            assertThat(m.get("uname").asString()).isEmpty();
            assertThat(m.get("gname").asString()).isEmpty();
            assertThat(m.get("type").asString()).isEqualTo("0");
            assertThat(m.get("sha256").asString())
                    .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)));
        }
    }
}
