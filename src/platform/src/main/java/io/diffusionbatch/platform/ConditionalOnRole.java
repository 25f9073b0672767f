package io.diffusionbatch.platform;

import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.Map;

/**
 * A bean that exists only in some roles of the application ({@code diffusion.role}, set by the
 * command that starts it): {@value Roles#SERVER} (local mode's all-in-one {@code serve}),
 * {@value Roles#MANAGER} and {@value Roles#WORKER} (cluster mode), {@value Roles#CLIENT},
 * {@value Roles#DOCTOR}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Documented
@Conditional(ConditionalOnRole.OnRole.class)
public @interface ConditionalOnRole {

    /** The roles in which the bean exists. */
    String[] value();

    /** Matches when {@code diffusion.role} is one of the annotation's roles. Stateless. */
    final class OnRole implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            Map<String, Object> a = metadata.getAnnotationAttributes(ConditionalOnRole.class.getName());
            String role = context.getEnvironment().getProperty("diffusion.role", "");
            return a != null && Arrays.asList((String[]) a.get("value")).contains(role);
        }
    }
}
