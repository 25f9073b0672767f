package io.diffusionbatch.web;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.tomcat.TomcatProtocolHandlerCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.config.annotation.ResourceHandlerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The dashboard's web server: Boot's Tomcat, made fail-soft ({@link FailSoftTomcatWebServerFactory};
 * Boot's customizers and {@code server.*} settings still apply), the {@link RequestGuard} in front
 * of every request, and the dashboard's script and style sheet under {@code /static/}. Only where
 * the context has a web server.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
public class DashboardWebConfiguration implements WebMvcConfigurer {

    /** Replaces Boot's own Tomcat factory bean, with the same customizers. */
    @Bean
    FailSoftTomcatWebServerFactory tomcatServletWebServerFactory(
            ObjectProvider<TomcatConnectorCustomizer> connectorCustomizers,
            ObjectProvider<TomcatContextCustomizer> contextCustomizers,
            ObjectProvider<TomcatProtocolHandlerCustomizer<?>> protocolHandlerCustomizers) {
        FailSoftTomcatWebServerFactory factory = new FailSoftTomcatWebServerFactory();
        factory.getConnectorCustomizers().addAll(connectorCustomizers.orderedStream().toList());
        factory.getContextCustomizers().addAll(contextCustomizers.orderedStream().toList());
        factory.getProtocolHandlerCustomizers().addAll(protocolHandlerCustomizers.orderedStream().toList());
        return factory;
    }

    @Bean
    FilterRegistrationBean<RequestGuard> dashboardRequestGuard(Dashboard dashboard) {
        FilterRegistrationBean<RequestGuard> r = new FilterRegistrationBean<>(new RequestGuard(dashboard.settings()));
        r.setOrder(Ordered.HIGHEST_PRECEDENCE);
        r.addUrlPatterns("/*");
        return r;
    }

    @Override
    public void addResourceHandlers(ResourceHandlerRegistry registry) {
        registry.addResourceHandler("/static/**").addResourceLocations("classpath:/io/diffusionbatch/web/static/");
    }
}
