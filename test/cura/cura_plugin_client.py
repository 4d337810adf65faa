# Runs Cura's own UM3NetworkPrinting plugin code (Debian's `cura` package, 4.13) headless against a
# Stepline: ZeroConfClient discovery, the manager's BOM → printer-type mapping from Cura's own machine
# definitions, LocalClusterOutputDevice polling/upload/actions through ClusterApiClient and the models.
# Only the Cura application object is replaced (a small stand-in: no GUI, no container stacks).
# Prints one JSON object per line (events) for the Bun test to check. GPL-3.0-or-later.
import glob
import json
import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, "/usr/lib/cura/plugins")

from PyQt5.QtCore import QCoreApplication  # noqa: E402

qt_app = QCoreApplication([])

from UM.Application import Application  # noqa: E402
from UM.Settings.ContainerRegistry import ContainerRegistry  # noqa: E402
from UM.Signal import Signal  # noqa: E402
from UM.Version import Version  # noqa: E402

DEFINITIONS = "/usr/share/cura/resources/definitions"


def emit(**event):
    print(json.dumps(event), flush=True)


class ContainerRegistryStandIn:
    """Answers the plugin's machine-definition lookups from Cura's real definition files."""

    def __init__(self):
        self.metadata = []
        for path in glob.glob(os.path.join(DEFINITIONS, "*.def.json")):
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            md = dict(d.get("metadata", {}))
            md["id"] = os.path.basename(path)[: -len(".def.json")]
            md["type"] = "machine"
            md["manufacturer"] = md.get("manufacturer", d.get("manufacturer"))
            self.metadata.append(md)

    def findContainersMetadata(self, **filters):
        return [m for m in self.metadata if all(m.get(k) == v for k, v in filters.items())]

    def findContainers(self, **filters):
        return []

    def findInstanceContainersMetadata(self, **filters):
        return []  # no material profiles loaded: Cura then shows the brand/colour/type the printer reports

    def isReadOnly(self, container_id):
        return True


class OutputDeviceManagerStandIn:
    def __init__(self):
        self.outputDevicesChanged = Signal()
        self.ids = []

    def getOutputDeviceIds(self):
        return self.ids

    def addOutputDevice(self, device):
        self.ids.append(device.getId())

    def removeOutputDevice(self, key):
        self.ids = [i for i in self.ids if i != key]


class Account:
    isLoggedIn = False
    userName = None


class CuraAPIStandIn:
    account = Account()


class MachineManagerStandIn:
    activeMachineNetworkGroupName = ""

    def activeMachineNetworkKey(self):
        return ""


class PluginRegistryStandIn:
    def getPluginPath(self, plugin_id):
        return os.path.join("/usr/lib/cura/plugins", plugin_id)


class AppStandIn:
    """The parts of CuraApplication the plugin's network code calls."""

    def __init__(self):
        self.main_thread = threading.current_thread()
        self.events = []
        self.lock = threading.Lock()
        self.registry = ContainerRegistryStandIn()
        self.output_devices = OutputDeviceManagerStandIn()
        self.messages = []
        self.showMessageSignal = Signal()
        self.hideMessageSignal = Signal()
        self.showMessageSignal.connect(self.showMessage)

    def getMainThread(self):
        return self.main_thread

    def functionEvent(self, event):
        with self.lock:
            self.events.append(event)

    def callLater(self, func, *args, **kwargs):
        with self.lock:
            self.events.append(lambda: func(*args, **kwargs))

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            qt_app.processEvents()
            with self.lock:
                events, self.events = self.events, []
            for e in events:
                e() if callable(e) else e.call()
            time.sleep(0.02)

    def isShuttingDown(self):
        return False

    def getApplicationName(self):
        return "cura"

    def getVersion(self):
        return "4.13.0"

    def getContainerRegistry(self):
        return self.registry

    def getMachineManager(self):
        return MachineManagerStandIn()

    def getPluginRegistry(self):
        return PluginRegistryStandIn()

    def getOutputDeviceManager(self):
        return self.output_devices

    def getGlobalContainerStack(self):
        return None

    def getCuraAPI(self):
        return CuraAPIStandIn()

    def showMessage(self, message):
        self.messages.append(message.getText())



app = AppStandIn()
Application._Application__instance = app
ContainerRegistry._ContainerRegistry__instance = app.registry
Signal._app = app
Signal._signalQueue = app

from UM3NetworkPrinting.src.Network.ZeroConfClient import ZeroConfClient  # noqa: E402
from UM3NetworkPrinting.src.Network.LocalClusterOutputDeviceManager import LocalClusterOutputDeviceManager  # noqa: E402
from UM3NetworkPrinting.src.Network.LocalClusterOutputDevice import LocalClusterOutputDevice  # noqa: E402


def printer_type(properties):
    """LocalClusterOutputDeviceManager._onDeviceDiscovered's BOM prefix match, on its own identifier table."""
    machine = properties.get(b"machine", b"").decode("utf-8")
    for bom, p_type in LocalClusterOutputDeviceManager._getPrinterTypeIdentifiers().items():
        if machine.startswith(bom):
            return p_type
    return "Unknown"


def discover(timeout, want_address=None):
    found = {}
    removed = []
    client = ZeroConfClient()

    def added(key, address, properties):
        found[key] = (address, properties)
        emit(event="added", key=key, address=address, properties={k.decode(): v.decode() for k, v in properties.items()})

    def gone(key):
        removed.append(key)
        emit(event="removed", key=key)

    client.addedNetworkCluster.connect(added)
    client.removedNetworkCluster.connect(gone)
    client.start()
    end = time.time() + timeout
    while time.time() < end:
        app.pump(0.2)
        if want_address == "any-removed" and removed:
            break
        if want_address and want_address != "any-removed" and any(a == want_address for a, _ in found.values()):
            break
        if not want_address and found:
            break
    client.stop()
    for key, (address, properties) in found.items():
        device = LocalClusterOutputDevice(key, address, {**properties, b"printer_type": printer_type(properties).encode()})
        emit(
            event="device",
            key=key,
            address=address,
            printer_type=device.printerType,
            firmware_supported=Version(device.firmwareVersion) >= LocalClusterOutputDeviceManager.MIN_SUPPORTED_CLUSTER_VERSION,
            cluster_size=device.clusterSize,
            name=device.getName(),
        )
    return found


class ExportedJob:
    """What ExportFileJob hands to _startPrintJobUpload: a file name and the bytes."""

    def __init__(self, name, data):
        self.name, self.data = name, data

    def getFileName(self):
        return self.name

    def getOutput(self):
        return self.data


def job_state(device):
    return [
        {"key": j.key, "name": j.name, "state": j.state, "elapsed": j.timeElapsed, "total": j.timeTotal, "printer": j.assignedPrinter.key if j.assignedPrinter else None}
        for j in device.printJobs
    ]


def poll_until(device, what, pred, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        device._update()
        app.pump(0.5)
        value = pred()
        if value:
            return value
    emit(event="timeout", waiting_for=what, jobs=job_state(device))
    sys.exit(3)


def upload(device, filename, data):
    done = []
    completed = device._onPrintUploadCompleted  # the plugin's own handler (shows "successfully sent")
    device._onPrintUploadCompleted = lambda reply: (done.append(reply.error()), completed(reply))
    device._active_exported_job = ExportedJob(filename, data)
    device._startPrintJobUpload()
    end = time.time() + 30
    while not done and time.time() < end:
        app.pump(0.1)
    emit(event="uploaded", file=filename, network_error=int(done[0]) if done else None)


def session(address, ufp_path, gz_path, props):
    properties = {k.encode(): v.encode() for k, v in props.items()}
    properties[b"printer_type"] = printer_type(properties).encode()
    device = LocalClusterOutputDevice("stepline-test._ultimaker._tcp.local.", address, properties)
    api = device._getApiClient()
    system = []
    api.getSystem(lambda s: system.append(s))
    materials = []
    api.getMaterials(lambda m: materials.append(m))
    app.pump(1.0)
    emit(event="system", parsed=bool(system), firmware=system[0].firmware if system else None, typeid=system[0].hardware.get("typeid") if system else None, materials=len(materials[0]) if materials else None)

    printers = poll_until(device, "printers", lambda: device.printers)
    p = printers[0]
    emit(event="printers", count=len(printers), key=p.key, name=p.name, state=p.state, type=p.type, extruders=len(p.extruders), core=p.extruders[0].hotendID)

    def run_job(filename, data):
        upload(device, filename, data)
        stem = filename.split(".")[0]
        job = poll_until(device, f"{stem} printing", lambda: next((j for j in device.printJobs if j.name == stem and j.state == "printing"), None))
        emit(event="printing", name=stem, key=job.key, printer=job.assignedPrinter.key if job.assignedPrinter else None, printer_state=device.printers[0].state)
        first = job.timeElapsed
        poll_until(device, f"{stem} progress", lambda: job.timeElapsed > first)
        emit(event="progress", name=stem, elapsed=job.timeElapsed, total=job.timeTotal, progress=job.progress)
        return job

    with open(ufp_path, "rb") as f:
        job = run_job(os.path.basename(ufp_path), f.read())
    device.setJobState(job.key, "pause")
    poll_until(device, "paused", lambda: job.state == "paused")
    emit(event="paused", name=job.name)
    device.setJobState(job.key, "print")
    poll_until(device, "resumed", lambda: job.state == "printing")
    emit(event="resumed", name=job.name)
    device.setJobState(job.key, "abort")
    poll_until(device, "aborted", lambda: job.state == "aborted")
    emit(event="aborted", name=job.name, printer_state=device.printers[0].state)

    with open(gz_path, "rb") as f:
        job2 = run_job(os.path.basename(gz_path), f.read())
    poll_until(device, "gz finished", lambda: job2.state == "finished", timeout=120)
    emit(event="finished", name=job2.name, elapsed=job2.timeElapsed, jobs=job_state(device))
    emit(event="messages", texts=app.messages)


def make_ufp(gcode_path, out_path):
    """A UFP as Cura's UFPWriter writes it (Charon), G-code and a thumbnail."""
    from Charon.VirtualFile import VirtualFile
    from Charon.OpenMode import OpenMode

    with open(gcode_path, "rb") as f:
        gcode = f.read()
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x1f\x15\xc4\x89" + bytes.fromhex("0000000d49444154789c63646060f80f0002870180eb47ba920000000049454e44ae426082")
    with open(out_path, "wb") as stream:
        archive = VirtualFile()
        archive.openStream(stream, "application/x-ufp", OpenMode.WriteOnly)
        archive.addContentType(extension="gcode", mime_type="text/x-gcode")
        archive.getStream("/3D/model.gcode").write(gcode)
        archive.addRelation(virtual_path="/3D/model.gcode", relation_type="http://schemas.ultimaker.org/package/2018/relationships/gcode")
        archive.addContentType(extension="png", mime_type="image/png")
        archive.getStream("/Metadata/thumbnail.png").write(png)
        archive.addRelation(virtual_path="/Metadata/thumbnail.png", relation_type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail", origin="/3D/model.gcode")
        archive.close()
    emit(event="ufp", path=out_path, size=os.path.getsize(out_path), thumbnail=png.hex())


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "discover":
        discover(float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "session":
        session(sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5]))
    elif cmd == "make-ufp":
        make_ufp(sys.argv[2], sys.argv[3])
