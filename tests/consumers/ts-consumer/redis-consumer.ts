// The two Redis clients, with their own types, are what redisStorage takes (ioredis's own
// declarations import an untyped package: checked with skipLibCheck, tsconfig.redis.json).
import { redisStorage } from "oauth2-wasm/redis-store";
import { createClient } from "redis";
import { Redis } from "ioredis";

export const viaNodeRedis = redisStorage({ redis: createClient() });
export const viaIoredis = redisStorage({ redis: new Redis(), prefix: "app:" });
