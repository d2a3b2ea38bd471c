/**
 * Told which webhook delivery queues just went from empty to non-empty, so a delivery job can be
 * started for each. Implemented by the webhook dispatcher; emitters only know this interface.
 */
export interface DeliveryKick {
  queuesFilled(queues: string[]): Promise<void>;
}
