package io.diffusionbatch.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cluster-demo --workers 2 --kill-worker} through the packaged jar, as a user runs it: PostgreSQL, the
 * broker, a manager and two workers as processes of their own; one worker killed with SIGKILL in the middle
 * of a partition. The printed table shows the lost attempt and its partition completed by the other worker,
 * the run completes with every item made exactly once, the exit code is 0, and no process it started is
 * left running. Also: the rules of its options (exit code 2 before anything starts).
 */
class ClusterDemoIT {

    private static final Pattern ROW = Pattern.compile(
            "(?m)^(generatePartition:partition\\d+)\\s+(\\d+)\\s+(worker-\\d)\\s+(\\w+)\\s+(\\d+)\\s+([\\d.]+)$");

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aKilledWorkersPartitionRunsAgainAndEveryItemIsMadeOnce() throws Exception {
        Path dir = Files.createTempDirectory("diffusion-cluster-demo-");
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", Path.of("target/diffusion-batch.jar").toAbsolutePath().toString(), "cluster-demo",
                "--workers", "2", "--kill-worker", "--items", "32", "--data-dir", dir.resolve("data").toString(),
                "--diffusion.job.batch-size=4", "--diffusion.energy.source=estimate"));
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean ended = p.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            p.destroy(); // SIGTERM: the command stops what it started
            p.waitFor(90, TimeUnit.SECONDS);
        }
        String stdout = Files.readString(out);
        String stderr = Files.readString(err);
        String why = "stdout:\n" + stdout + "\nstderr:\n" + stderr;
        assertThat(ended).as("ended within 5 minutes; " + why).isTrue();
        assertThat(p.exitValue()).as(why).isZero();

        assertThat(stdout).as(why).containsPattern("run \\d+ \\(cluster-demo-\\d+\\): completed, 32 items in ")
                .contains("partition                      attempt  worker     outcome     items  seconds")
                .contains("worker     partitions  items   busy s  items/s");
        List<String[]> rows = new ArrayList<>();
        Matcher m = ROW.matcher(stdout);
        while (m.find()) {
            rows.add(new String[]{m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)});
        }
        String[] lost = rows.stream().filter(r -> r[3].equals("lost")).findFirst().orElseThrow(() -> new AssertionError(
                "no lost attempt in the table; " + why));
        String[] again = rows.stream().filter(r -> r[0].equals(lost[0]) && Integer.parseInt(r[1]) > Integer.parseInt(lost[1]))
                .findFirst().orElseThrow(() -> new AssertionError("the lost partition did not run again; " + why));
        assertThat(again[3]).as(why).isEqualTo("completed");
        assertThat(again[2]).as("another worker ran it again; " + why).isNotEqualTo(lost[2]);
        assertThat(rows.stream().filter(r -> r[3].equals("completed")).mapToInt(r -> Integer.parseInt(r[4])).sum()
                + Integer.parseInt(lost[4])).as("items of all attempts; " + why).isEqualTo(32);
        assertThat(rows.stream().map(r -> r[0]).distinct().count()).as("4 partitions (twice --workers); " + why)
                .isEqualTo(4);

        Matcher wall = Pattern.compile("throughput: 32 items in ([\\d.]+) s \\(generate step\\)").matcher(stdout);
        assertThat(wall.find()).as(why).isTrue();
        assertThat(Double.parseDouble(wall.group(1))).as("the generate step's wall time; " + why).isPositive();
        assertThat(stdout).as(why)
                .containsPattern("recovery: " + lost[2] + " \\(pid \\d+\\) killed with SIGKILL while it ran " + lost[0])
                .containsPattern("ran again: attempt \\d+ on worker-\\d [\\d.]+ s after the kill, outcome completed")
                .contains("exactly once: yes: 32 items, 32 done, 32 output rows, 32 distinct files, 32 on disk with "
                        + "their SHA-256, 32 PNG files in the folder");

        // nothing it started runs on: every pid it named has exited
        Matcher pids = Pattern.compile("\\(pid (\\d+)\\)").matcher(stderr + stdout);
        List<Long> started = new ArrayList<>();
        while (pids.find()) {
            started.add(Long.parseLong(pids.group(1)));
        }
        assertThat(started).as(why).hasSizeGreaterThanOrEqualTo(5); // postgres, kafka, manager, 2 workers
        for (long pid : started) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid + " stopped; "
                    + why).isFalse();
        }
        assertThat(dir.resolve("data/postgres/postmaster.pid")).as("PostgreSQL stopped; " + why).doesNotExist();
        assertThat(stderr).as(why).contains("stopping manager, worker-").contains("stopped everything");
    }

    @Test
    void itsOptionsAreCheckedBeforeAnythingStarts() {
        CliRun one = CliRun.of("cluster-demo", "--kill-worker", "--workers", "1");
        assertThat(one.code()).isEqualTo(2);
        assertThat(one.err()).startsWith("error: --kill-worker: needs --workers 2 or more");
        CliRun many = CliRun.of("cluster-demo", "--workers", "9");
        assertThat(many.code()).isEqualTo(2);
        assertThat(many.err()).startsWith("error: --workers: must be between 1 and 8, was 9");
        CliRun serve = CliRun.of("cluster-demo", "--kill-worker", "--serve");
        assertThat(serve.code()).isEqualTo(2);
        assertThat(serve.err()).startsWith("error: --kill-worker: not with --serve");
    }
}
