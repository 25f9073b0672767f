package io.diffusionbatch.platform;

import io.diffusionbatch.dataset.DatasetSpecParser;
import io.diffusionbatch.energy.EnergyMeter;
import io.diffusionbatch.energy.EnergyMeters;
import io.diffusionbatch.engine.EngineOptions;
import io.diffusionbatch.output.LocalOutputStore;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.request.RequestLimits;
import io.diffusionbatch.engine.json.Json;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** Beans every role shares: the model registry, the output store and the request limits. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(DiffusionProperties.class)
public class PlatformConfiguration {

    @Bean(destroyMethod = "close")
    ModelRegistry modelRegistry(DiffusionProperties props, Environment env) {
        DiffusionProperties.Job job = props.job();
        return new ModelRegistry(ModelPaths.resolve(props.models(), env.getProperty("diffusion.home")),
                new EngineOptions(job.device(), 0, job.threads(), job.batchSize()));
    }

    @Bean
    EnergyMeter energyMeter(DiffusionProperties props) {
        DiffusionProperties.Energy e = props.energy();
        return EnergyMeters.choose(e.source(), e.watts(), e.powercap(), props.job().device());
    }

    /** The project's one JSON mapper (strict reading), also for Spring MVC and Actuator. */
    @Bean
    JsonMapper jsonMapper() {
        return Json.MAPPER;
    }

    /** The output root, a local or mounted shared folder, where the ledger's run folders are found. */
    @Bean
    OutputRoot outputRoot(DiffusionProperties props) {
        return new OutputRoot(props.outputRoot());
    }

    /** Runs' files in the output root. */
    @Bean
    OutputStore outputStore(OutputRoot root) {
        return new LocalOutputStore(root.path());
    }

    /** The contract's limits, with the micro-batch and memory limit of this configuration for the model checks. */
    /** Dataset specs checked against this catalog (its evaluators decide where a gate may stand) and limits. */
    @Bean
    DatasetSpecParser datasetSpecParser(ModelRegistry models, RequestLimits limits) {
        return new DatasetSpecParser(models, m -> models.evaluator(m).isPresent(), limits);
    }

    @Bean
    RequestLimits requestLimits(DiffusionProperties props) {
        DiffusionProperties.Limits limits = props.limits() != null ? props.limits()
                : new DiffusionProperties.Limits(null);
        return RequestLimits.DEFAULTS.withBatchMemory(props.job().batchSize(), limits.maxBatchBytes());
    }
}
