import * as core from "./schema";
import * as audit from "./schema-audit";
import * as drills from "./schema-drills";
import * as events from "./schema-events";
import * as notify from "./schema-notify";
import * as releases from "./schema-releases";
import * as schedules from "./schema-schedules";

/** Every table the metadata client knows: lib/db/schema.ts plus each lib/db/schema-<area>.ts (one line each). */
export const schema = { ...core, ...audit, ...events, ...releases, ...schedules, ...drills, ...notify };
