/**
 * Reads a QR code from the camera: the browser's own BarcodeDetector where there is one, ZXing
 * otherwise. Frames are taken from the video as it plays, each at the video's current size (a
 * camera may change resolution after it starts), a few times a second until one decodes.
 */
export interface ScanHandle {
  stop: () => void;
}

interface NativeDetector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}

const INTERVAL_MS = 200;

async function zxingDecoder(): Promise<(video: HTMLVideoElement) => string | null> {
  const [{ BrowserQRCodeReader }, { ChecksumException, DecodeHintType, FormatException, NotFoundException }] = await Promise.all([
    import('@zxing/browser'),
    import('@zxing/library'),
  ]);
  // TRY_HARDER: certificate codes are dense (version 25–35), and phones see them at an angle.
  const reader = new BrowserQRCodeReader(new Map<never, unknown>([[DecodeHintType.TRY_HARDER as never, true]]));
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  return (video) => {
    if (!context || video.videoWidth === 0 || video.videoHeight === 0) return null;
    if (canvas.width !== video.videoWidth || canvas.height !== video.videoHeight) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
    }
    context.drawImage(video, 0, 0);
    try {
      return reader.decodeFromCanvas(canvas).getText();
    } catch (error) {
      // No code in this frame (or a misread): try the next one.
      if (error instanceof NotFoundException || error instanceof ChecksumException || error instanceof FormatException) return null;
      throw error;
    }
  };
}

export async function startScan(
  video: HTMLVideoElement,
  onText: (text: string) => void,
  onError: (error: unknown) => void,
): Promise<ScanHandle> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
  };
  try {
    video.srcObject = stream;
    await video.play();
    const Detector = (window as unknown as { BarcodeDetector?: new (o: { formats: string[] }) => NativeDetector }).BarcodeDetector;
    const native = Detector ? new Detector({ formats: ['qr_code'] }) : null;
    const decode = native ? async (v: HTMLVideoElement) => (await native.detect(v))[0]?.rawValue ?? null : await zxingDecoder();
    const tick = async () => {
      if (stopped) return;
      try {
        const text = await decode(video);
        if (text && !stopped) {
          onText(text);
          return;
        }
      } catch (error) {
        onError(error);
      }
      if (!stopped) timer = setTimeout(() => void tick(), INTERVAL_MS);
    };
    void tick();
  } catch (error) {
    stop();
    throw error;
  }
  return { stop };
}
