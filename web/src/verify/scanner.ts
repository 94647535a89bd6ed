/** Reads a QR code from the camera: the browser's own BarcodeDetector where there is one, ZXing otherwise. */
export interface ScanHandle {
  stop: () => void;
}

interface NativeDetector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}

export async function startScan(video: HTMLVideoElement, onText: (text: string) => void, onError: (error: unknown) => void): Promise<ScanHandle> {
  const Detector = (window as unknown as { BarcodeDetector?: new (o: { formats: string[] }) => NativeDetector }).BarcodeDetector;
  if (Detector) {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    await video.play();
    const detector = new Detector({ formats: ['qr_code'] });
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      try {
        const [code] = await detector.detect(video);
        if (code?.rawValue) {
          onText(code.rawValue);
          return;
        }
      } catch (error) {
        onError(error);
      }
      setTimeout(() => void tick(), 250);
    };
    void tick();
    return {
      stop: () => {
        stopped = true;
        for (const track of stream.getTracks()) track.stop();
      },
    };
  }
  const { BrowserQRCodeReader } = await import('@zxing/browser');
  const reader = new BrowserQRCodeReader();
  const controls = await reader.decodeFromVideoDevice(undefined, video, (result) => {
    if (result) onText(result.getText());
  });
  return { stop: () => controls.stop() };
}
