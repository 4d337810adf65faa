// The web API's own components (printer, server, machine, data store, webcams, announcements,
// update status), built around one console history; other components (files, auth, …) join the list.
import type { ApiComponentFactory } from "./endpoint.ts";
import { machineComponent } from "./machine/machine-component.ts";
import { updateManagerComponent } from "./machine/update-manager-component.ts";
import { printerComponent } from "./printer/printer-component.ts";
import { announcementsComponent } from "./server/announcements-component.ts";
import { applicationComponent, type ApplicationOptions } from "./server/application-component.ts";
import { dataStoreComponent } from "./server/data-store-component.ts";
import { GcodeStore } from "./server/gcode-store.ts";
import { webcamComponent } from "./server/webcam-component.ts";

export interface CoreComponentOptions extends ApplicationOptions {
  allowPowerControl: boolean;
}

export function coreComponents(opts: CoreComponentOptions): ApiComponentFactory[] {
  let gcodeStore: GcodeStore | null = null;
  // One console history shared by printer.gcode.script (commands) and server.gcode_store
  const store = (host: ConstructorParameters<typeof GcodeStore>[0]) => (gcodeStore ??= new GcodeStore(host));
  return [
    applicationComponent(opts),
    (ctx) => printerComponent(store(ctx.host))(ctx),
    (ctx) => dataStoreComponent(store(ctx.host))(ctx),
    machineComponent({ allowPowerControl: opts.allowPowerControl }),
    webcamComponent,
    announcementsComponent,
    updateManagerComponent,
  ];
}
