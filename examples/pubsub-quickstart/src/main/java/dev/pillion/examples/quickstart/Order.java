package dev.pillion.examples.quickstart;

/**
 * An order, as the quickstart's checkout publishes it: {@code {"orderId": 1}}.
 *
 * @param orderId the order's number
 */
public record Order(int orderId) {}
