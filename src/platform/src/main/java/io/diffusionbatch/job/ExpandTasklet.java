package io.diffusionbatch.job;

import io.diffusionbatch.engine.json.Json;
import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.NewItem;
import io.diffusionbatch.request.ItemExpansion;
import io.diffusionbatch.request.WorkItem;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.util.Iterator;
import java.util.Map;

/**
 * Step 1 of a run: writes its work items (prompt × seed) into the ledger with COPY. Does nothing
 * when they are already there (a restarted run). Stateless and thread-safe.
 */
@Component
public class ExpandTasklet implements Tasklet {

    static final String EXPAND_SECONDS = "expandSeconds";
    private static final JsonMapper JSON = Json.MAPPER;

    private final ItemStore items;
    private final RunContexts runs;
    private final RunEvents events;

    public ExpandTasklet(ItemStore items, RunContexts runs, RunEvents events) {
        this.items = items;
        this.runs = runs;
        this.events = events;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
        StepExecution step = chunkContext.getStepContext().getStepExecution();
        long requestId = step.getJobExecution().getJobParameters().getLong(GenerationJobConfig.REQUEST_ID);
        RunContext run = runs.get(requestId);
        ItemExpansion expansion = run.request().expansion();
        long start = System.nanoTime();
        long written = items.expand(requestId, () -> toNewItems(expansion.iterator()));
        double seconds = (System.nanoTime() - start) / 1e9;
        step.getJobExecution().getExecutionContext().putDouble(EXPAND_SECONDS, seconds);
        contribution.incrementWriteCount(written);
        events.publish(requestId, EventType.STARTED, Map.of("items", expansion.itemCount(), "expanded", written,
                "expandSeconds", seconds));
        return RepeatStatus.FINISHED;
    }

    /** Work items as ledger rows (null negative and labels when empty). */
    public static Iterator<NewItem> toNewItems(Iterator<WorkItem> it) {
        return new Iterator<>() {
            // items come prompt-major: consecutive items usually share their labels
            private Map<String, String> lastLabels;
            private String lastJson;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public NewItem next() {
                WorkItem w = it.next();
                String labels = null;
                if (!w.labels().isEmpty()) {
                    if (!w.labels().equals(lastLabels)) {
                        lastLabels = w.labels();
                        lastJson = JSON.writeValueAsString(w.labels());
                    }
                    labels = lastJson;
                }
                return new NewItem(w.index(), w.prompt(), w.negativePrompt().isEmpty() ? null : w.negativePrompt(),
                        w.seed(), labels);
            }
        };
    }
}
