/**
 * Topics: typed publish/subscribe over ZeroMQ. A publisher binds an XPUB
 * socket and sends validated messages without ever waiting; a subscription
 * connects a SUB socket to the publishers it is given, validates what
 * arrives, counts what is lost and queues the rest for its iterator.
 *
 * Nodes (`src/node`) find the publishers of a topic in the registry and
 * keep subscriptions connected to them; use these functions directly when
 * you manage endpoints yourself. The frames are described under "Topics"
 * in `docs/PROTOCOL.md`.
 *
 * @module
 */

export {
  consoleTopicLogger,
  type PublisherOptions,
  type PublishOptions,
  type SubscribeOptions,
  type TopicCounters,
  type TopicHandler,
  type TopicLogger,
  type TopicMessage,
  type TopicPublisher,
  type TopicSubscription,
} from "./types.ts";
export {
  createPublisher,
  type CreatePublisherOptions,
  type SocketPublisher,
} from "./publisher.ts";
export {
  createSubscription,
  type CreateSubscriptionOptions,
  type SocketSubscription,
} from "./subscription.ts";
