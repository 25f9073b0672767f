package io.diffusionbatch.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** Entry point: {@code java -jar diffusion-batch.jar COMMAND [OPTIONS]}. */
public final class Main {

    static final String USAGE = """
            usage: java -jar target/diffusion-batch.jar COMMAND [OPTIONS]

            commands:
              generate   render images or videos from a model folder
                         [--model DIR (default models/shapes-ldm)] --prompt TEXT [--negative TEXT]
                         [--seed N] [--sampler NAME]
                         [--steps N] [--guidance X] [--guidance-rescale X] [--eta X]
                         [--width W --height H] [--frames N --fps N]
                         [--timestep-spacing leading|trailing|linspace]
                         [--prediction-type epsilon|v_prediction|sample]
                         [--batch N] [--count N] [--device cpu|cuda] [--threads N]
                         [--format png|npy|gif|mp4] [--save-latent] --out PATH
                         samplers: ddpm, ddim, euler, euler-a, dpmpp-2m, dpmpp-2m-karras, lcm
              bench      engine throughput: overhead vs a bare ONNX Runtime loop, per-sampler cost,
                         batch scaling (markdown tables; see docs/BENCHMARKS.md)
                         --model DIR [--sampler NAME] [--steps N] [--batch N] [--batches 1,2,4,8]
                         [--items N] [--rounds N] [--threads N] [--device cpu|cuda]
              evaluate   prompt adherence: generate a labelled prompt set and read it back with the
                         shapes evaluator, per attribute and group
                         --model DIR --prompts FILE [--evaluator DIR] [--sampler NAME] [--steps N]
                         [--guidance X] [--batch N] [--seed N] [--limit N] [--threads N]

            the batch platform (local mode starts a real Kafka and PostgreSQL under --data-dir, default data/):
              demo       start everything, send config/requests/demo.json through Kafka, follow it to the
                         end, print the summary and where the images are   [--request FILE]
              serve      start Kafka, Postgres, intake and workers and run until Ctrl-C
                         (and the dashboard on http://127.0.0.1:8470/, --diffusion.web.port=N|0|-1)
              submit     send a request document to a running server: FILE [--wait] [--timeout S]
              runs       list runs [--limit N]
              show       one run: status, items, figures, events, the request: RUN
              cancel     stop a run (the micro-batch in flight finishes, the rest is cancelled): RUN
              item       every row about one item: prompt, seed, parameters, output and sha256, stats: RUN/INDEX
              reproduce  make items again from their rows and compare sha256 with the stored outputs:
                         RUN/INDEX or RUN (every written item) [--out DIR]
              report     a run's figures (model, sampler, steps, NFE, s/sample, samples/s, params, FLOPs,
                         device, energy, CO2, FID, adherence): RUN [--format md|csv|json]
              compare    two runs side by side with the ratio of each figure: RUN1 RUN2
              sweep      one request per (sampler, steps) point over a prompt set, through Kafka; waits, then
                         writes the quality-vs-NFE table (md, csv) and plot (svg) with the Pareto front
                         --model NAME --prompts FILE (.jsonl with "prompt", or one per line) [--limit N]
                         [--samplers ddim,dpmpp-2m] [--steps 4,8,10,20,50] [--guidance X] [--seed N]
                         [--id NAME (same id = resume)] [--out DIR] [--max-fid X] [--min-adherence X]
              platform-bench  issue 5's figures: system vs engine images/s, expansion rate, time to first
                         image, memory   [--request FILE] [--rounds N] [--expand-items N] [--skip-expand]
              common: [--data-dir DIR] [--diffusion.*=... | --spring.*=...] (see config/application.yaml)

              help       this text
            """;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command line; returns the exit code (0 ok, 2 bad usage or input, 1 failure). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "generate" -> new GenerateCommand(out, err).run(rest);
                case "bench" -> new BenchCommand(out).run(rest);
                case "evaluate" -> new EvaluateCommand(out, err).run(rest);
                case "serve" -> new ServeCommand(out, err).serve(rest);
                case "demo" -> new ServeCommand(out, err).demo(rest);
                case "submit" -> new SubmitCommand(out, err).run(rest);
                case "runs", "show", "cancel" -> new RunsCommand(out).run(args[0], rest);
                case "report", "compare" -> new ReportCommand(out).run(args[0], rest);
                case "item", "reproduce" -> new AuditCommand(out, err).run(args[0], rest);
                case "platform-bench" -> new PlatformBenchCommand(out, err).run(rest);
                case "sweep" -> new SweepCommand(out, err).run(rest);
                default -> throw new UsageException("unknown command '" + args[0] + "'; try 'help'");
            };
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println("failed: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 1;
        }
    }
}
