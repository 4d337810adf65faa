// Webcams configured on the server (server.webcams.list): MJPEG streams shown live, other
// services as a refreshed snapshot; the card stays hidden when none is configured.
import type { App } from "./app.ts";
import { byId, h } from "./dom.ts";

interface Webcam {
  name: string;
  enabled?: boolean;
  service?: string;
  stream_url?: string;
  snapshot_url?: string;
  flip_horizontal?: boolean;
  flip_vertical?: boolean;
  rotation?: number;
}

export function webcamPanel(app: App): { refresh(): Promise<void> } {
  const card = byId("webcam-card");
  const box = byId("webcams");
  let timers: ReturnType<typeof setInterval>[] = [];

  const view = (cam: Webcam): HTMLElement => {
    const transform = [cam.flip_horizontal ? "scaleX(-1)" : "", cam.flip_vertical ? "scaleY(-1)" : "", cam.rotation ? `rotate(${cam.rotation}deg)` : ""].join(" ").trim();
    const img = h("img", { alt: cam.name, style: transform ? `transform:${transform}` : undefined });
    if (cam.service === "mjpegstreamer" && cam.stream_url) img.src = cam.stream_url;
    else if (cam.snapshot_url) {
      const url = cam.snapshot_url;
      const tick = () => (img.src = `${url}${url.includes("?") ? "&" : "?"}t=${Date.now()}`);
      tick();
      timers.push(setInterval(tick, 2000));
    } else if (cam.stream_url) return h("p", {}, h("a", { href: cam.stream_url, target: "_blank", rel: "noopener" }, `${cam.name} stream`));
    return h("figure", {}, img, h("figcaption", { class: "muted" }, cam.name));
  };

  return {
    async refresh() {
      for (const t of timers) clearInterval(t);
      timers = [];
      let cams: Webcam[] = [];
      try {
        cams = (await app.rpc.call<{ webcams: Webcam[] }>("server.webcams.list")).webcams.filter((c) => c.enabled !== false);
      } catch (e) {
        console.warn("dashboard: webcam list unavailable", e);
      }
      card.hidden = cams.length === 0;
      box.replaceChildren(...cams.map(view));
    },
  };
}
