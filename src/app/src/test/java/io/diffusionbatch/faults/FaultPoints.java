package io.diffusionbatch.faults;

import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Test-only fault points for a server started by {@link FaultInjectionIT} (put on its class path
 * with Spring Boot's {@code PropertiesLauncher} and {@code loader.path}, registered by a
 * {@code META-INF/spring.factories} the test writes in a folder of that path): when the file {@code DIR/pause-STEP} exists
 * ({@code DIR} = system property {@code diffusion.faults.dir}), the step's tasklet does its work,
 * then, still inside its transaction, deletes that file, writes {@code DIR/in-STEP} and sleeps,
 * so that the test can kill the process at that point for sure. Steps: {@code expand},
 * {@code assess}, {@code summarize}.
 */
public final class FaultPoints implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private static final Set<String> TASKLETS = Set.of("expandTasklet", "assessTasklet", "summarizeTasklet");

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        String dir = System.getProperty("diffusion.faults.dir");
        if (dir == null) {
            return;
        }
        Path faults = Path.of(dir);
        context.getBeanFactory().addBeanPostProcessor(new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (!(bean instanceof Tasklet) || !TASKLETS.contains(name)) {
                    return bean;
                }
                String step = name.substring(0, name.length() - "Tasklet".length());
                ProxyFactory proxy = new ProxyFactory(bean);
                proxy.setProxyTargetClass(true);
                proxy.addAdvice((MethodInterceptor) invocation -> {
                    Object result = invocation.proceed();
                    if (invocation.getMethod().getName().equals("execute") && pauseHere(faults, step)) {
                        Thread.sleep(600_000); // the test kills the process now
                    }
                    return result;
                });
                return proxy.getProxy(bean.getClass().getClassLoader());
            }
        });
    }

    private static boolean pauseHere(Path faults, String step) {
        try {
            if (!Files.deleteIfExists(faults.resolve("pause-" + step))) {
                return false;
            }
            Files.writeString(faults.resolve("in-" + step), "pid " + ProcessHandle.current().pid());
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
