"""Turkish phrase book of the demo provider (placeholders as in phrases_en).

Turkish attaches case endings to nouns with vowel harmony, so the templates never suffix a
placeholder: terms (key words of the question, in quotes: “şirket”) stand before a separate
word ("{t1} konusu", "{t1} tarafı", "{t1} için") and seat labels ("Koltuk B") are never put in
the possessive.
"""

from debates.providers.demo.phrasebook import Phrasebook, RolePhrases

PROPONENT = RolePhrases(
    title="Savunucu",
    opening=(
        "“{topic}” sorusuna cevabım, bazı koşullarla evet. En güçlü gerekçe {t1} konusu: "
        "bilinçli biçimde ele alındığında belirsiz bir hedefi planlanabilir, ölçülebilir ve "
        "düzeltilebilir bir işe dönüştürüyor.",
        "Bu öneriyi savunacağım. “{topic}” büyük bir adım gibi görünse de {t1} etrafında "
        "hayal edilen risklerin çoğu, iş aşamalara bölündüğünde ve net çıkış noktaları "
        "belirlendiğinde ortadan kalkıyor.",
    ),
    body=(
        "{t2} konusunu düşünelim. Erken harekete geçen ekipler genellikle ilk ayların pahalı "
        "olduğunu, asıl kazancın ise {t1} konusundaki çalışma bir proje olmaktan çıkıp rutine "
        "dönüştüğünde geldiğini anlatıyor. Beklemek bu maliyeti ortadan kaldırmaz; yalnızca daha "
        "kötü bir zamana erteler.",
        "Pratik kazanç {t2} ve {t3} tarafında. İkisi de günlük işleri iyileştiriyor ve "
        "etkileri birikiyor: her çeyrekte edinilen deneyim, {t1} hakkındaki bir sonraki "
        "kararı ucuzlatıyor.",
    ),
    rebuttal=(
        "{other} haklı kaygılar dile getiriyor, ancak bunlar planın özensiz bir versiyonunu "
        "anlatıyor. Önerdiğim hiçbir şey {t1} konusunda bir anda topyekûn geçiş "
        "gerektirmiyor; bir pilot, bir ölçüt ve karar için bir tarih gerektiriyor.",
        "{other} tarafından {t2} hakkında yapılan uyarıyı ciddiye alıyorum; bu uyarı "
        "görüşümü çürütmüyor, aksine netleştiriyor: küçük başlayın, ölçtüğünüzü paylaşın ve "
        "rakamlar öyle diyorsa durun.",
    ),
    closing=(
        "Dolayısıyla önerim geçerliliğini koruyor: ilerleyin, {t1} için sınırlı bir pilotla "
        "başlayın ve belirli bir sürenin sonunda kanıtlara bakarak karar verin.",
        "Kısacası faydalar somut, riskler yönetilebilir. Aşama aşama ilerleyin.",
    ),
    claims=(
        "{t1} için aşamalı bir yaklaşım olası zararı sınırlar",
        "Beklemek {t1} konusunun maliyetini ortadan kaldırmaz, yalnızca erteler",
        "{t2} alanındaki kazanımlar zamanla birikir",
        "Net bir ölçütü olan pilot, soruyu ucuza çözer",
    ),
)

SKEPTIC = RolePhrases(
    title="Şüpheci",
    opening=(
        "İkna olmuş değilim. “{topic}” sorusu çoğu zaman {t1} konusunun cevabı apaçıkmış gibi "
        "soruluyor; kimse para ya da insan kaynağı ayırmadan önce bu çerçeve sorgulanmalı.",
        "“{topic}” sorusuna evet demeden önce neyin doğru olması gerektiğini sormalıyız. "
        "{t1} konusunun karşılığını vermesi için birkaç iyimser varsayımın aynı anda "
        "gerçekleşmesi gerekiyor.",
    ),
    body=(
        "{t1} konusu lehine gösterilen kanıtlar genellikle başarılı örneklerden geliyor; sessiz "
        "başarısızlıklar nadiren yazıya dökülüyor. Gizli maliyetler özellikle {t2} tarafında "
        "ortaya çıkıyor: geçiş emeği, yeniden eğitim ve verimin düştüğü aylar.",
        "{t2} ve {t3} konularına yakından bakın. İkisinin de makul bir hikâyesi var ama "
        "hiçbirinin arkasında bir rakam yok. Bir başlangıç ölçümü olmadan sonraki her başarı "
        "sahiplenilir, her başarısızlık da açıklanıp geçiştirilir.",
    ),
    rebuttal=(
        "{other} bir pilotun riski sınırladığını savunuyor. Oysa pilotlar başarılı olsun diye "
        "seçilir: en iyi ekibi ve en kolay vakayı alırlar, bu yüzden {t1} konusunun tam "
        "ölçekte nasıl işleyeceği hakkında pek bir şey söylemezler.",
        "Bir noktada {other} ile aynı fikirdeyim: hiçbir şey yapmamanın da bir bedeli var. Ama "
        "bu, mevcut durumu ölçmek için bir gerekçe; {t1} seçeneğinin ondan daha iyi olduğunu "
        "varsaymak için değil.",
    ),
    closing=(
        "Görüşüm: henüz değil. Başlangıç ölçümünü tanımlayın, {t1} için başarısızlık "
        "koşulunu açıkça yazın ve verilerle yeniden değerlendirin.",
        "Hangi sonucun bizi durduracağını kimse söyleyemediği sürece beklemeyi tercih ederim.",
    ),
    claims=(
        "{t1} hakkındaki başarı hikâyeleri hayatta kalan yanılgısı taşıyor",
        "Gizli maliyetler {t2} etrafında toplanıyor",
        "Başlangıç ölçümü yoksa sonucu değerlendirmenin yolu da yok",
        "Pilotlar tam ölçekteki sonuçları olduğundan iyi gösterir",
    ),
)

PRAGMATIST = RolePhrases(
    title="Pragmatist",
    opening=(
        "“{topic}” sorusunun işe yarar hâli evet ya da hayır değil; hangi koşullarda ve hangi "
        "sırayla sorusu. Cevabım büyük ölçüde {t1} konusuna ve işi kimin üstleneceğine bağlı.",
        "İki tarafın da haklı olduğu noktalar var; bu yüzden pazartesi sabahı ne "
        "yapılabileceğine odaklanalım. Kaldıraç {t1} konusu; “{topic}” sorusunun geri kalanı bunu "
        "nasıl ele aldığımıza bağlı.",
    ),
    body=(
        "Somut olarak: önemli olan iki üç sonucu yazın, {t2} konusunu bunlara göre sınayın ve "
        "karara bir sahip ile bir son tarih verin. {t1} üzerine tartışmaların çoğu, kararın "
        "sahibi olmadığı için tıkanıyor.",
        "Soruyu ikiye bölün. {t2} tarafı ucuza denenebilir ve geri alınabilir; {t3} tarafı ise "
        "pahalı ve geri dönüşü zor. Geri alınabilir kısmı şimdi yapın, sonuçları geri kalanına "
        "yön versin.",
    ),
    rebuttal=(
        "{other} ilke olarak haklı, ancak ekibi bir sonraki adım olmadan bırakıyor. İşte bir "
        "adım: {t1} üzerine, yazılı bir durma kuralı olan dört haftalık bir deneme.",
        "Önceki konuşmacılar arasındaki fark göründüğünden küçük. {other} kanıt istiyor, "
        "diğerleri ivme; {t2} üzerine süresi belli bir deney ikisini birden sağlar.",
    ),
    closing=(
        "Önerim: önce geri alınabilir adımları atın, ölçün, sonra {t1} hakkındaki kararı "
        "gerçek rakamlarla verin.",
        "Basit tutun: bir sorumlu, bir ölçüt, bir değerlendirme tarihi.",
    ),
    claims=(
        "Geri alınabilir kararları geri alınamayanlardan ayırın",
        "{t1} üzerine süreli bir deneme açık soruların çoğunu yanıtlar",
        "{t2} ile ilgili her kararın bir sahibi ve son tarihi olmalı",
        "Değiştirmeden önce mevcut durumu ölçün",
    ),
)

RESEARCHER = RolePhrases(
    title="Araştırmacı",
    opening=(
        "“{topic}” hakkında gerçekte ne bildiğimizi ortaya koyayım. {t1} konusundaki "
        "kanıtlar karışık: sonuçlar bağlama, ölçeğe ve başarının nasıl ölçüldüğüne çok bağlı.",
        "“{topic}” sorusuyla ilgili üç kanıt kaynağı var: {t1} hakkındaki deneyim raporları, "
        "{t2} üzerine yapılan çalışmalar ve benzer değişikliklerin genel başarı oranı.",
    ),
    body=(
        "Benzer ortamlardaki çalışmalar genellikle ortalamada küçük ama dağılımı geniş etkiler "
        "buluyor. {t2} tarafında iyi giden vakaların ortak noktaları hazırlık, yönetim desteği "
        "ve net bir ölçüt; kötü gidenlerde bunlardan en az biri eksik.",
        "{t3} konusunda veriler daha zayıf. Her iki yöndeki iddialı görüşlere temkinle "
        "yaklaşır, başarıların yanında başarısızlıkları da raporlayan kaynaklara bakardım.",
    ),
    rebuttal=(
        "{other} için bir düzeltme: {t1} konusundaki en güçlü kanıtlar iki yönde de evrensel "
        "bir etki göstermiyor. Gösterdikleri şey, koşulların seçimin kendisinden daha önemli "
        "olduğu.",
        "{other}, {t2} için faydalardan söz ediyor. Bu rakamlar gerçek ama farklı bir "
        "ölçekten geliyor; onları buraya taşımak, açıkça belirtmemiz gereken bir belirsizlik "
        "ekliyor.",
    ),
    closing=(
        "Kanıtların özeti: doğru koşullarda olumlu, bu koşullar olmadan zayıf ya da olumsuz. "
        "Önce {t1} için bu koşulları kontrol edin.",
        "Dürüst cevap koşullu; koşullar ise öğrenilebilir ve kontrol edilmeye değer.",
    ),
    claims=(
        "{t1} hakkındaki kanıtlar bağlama göre büyük farklılık gösteriyor",
        "Başarılı vakaların ortak noktası hazırlık ve net bir ölçüt",
        "{t3} hakkındaki veriler zayıf; güven düşük olmalı",
        "Benzer değişikliklerin başarı oranı en iyi ihtimalle orta düzeyde",
    ),
)

DEVILS_ADVOCATE = RolePhrases(
    title="Şeytanın avukatı",
    opening=(
        "Burada kimsenin savunmadığı görüşü savunayım. Belki de “{topic}” yanlış soru; asıl "
        "mesele {t1} konusu değil, ondan neyi düzeltmesini beklediğimiz.",
        "“{topic}” sorusunun bariz cevabının tam tersini yaptığımızı varsayalım. Ne bozulur? "
        "Cevap “pek bir şey” ise {t1} konusu bu tartışmanın varsaydığından daha az önemli "
        "demektir.",
    ),
    body=(
        "Herkes {t2} konusunu veri kabul ediyor. Öyle değil. Kurumlar aynı hedeflere çok "
        "farklı yollardan ulaştı ve bazıları {t1} konusuna hiç dokunmadı.",
        "Bir an için en kötü senaryoyu ciddiye alın: {t3} tarafı ters gidiyor, takvim kayıyor ve "
        "{t1} konusunda bastıran kişiler çoktan başka işlere geçmiş. Ortalığı kim toplayacak?",
    ),
    rebuttal=(
        "{other} makul görünüyor; görüşün sınanması gereken sebep de tam olarak bu. {t1} "
        "aleyhindeki en güçlü argümanı ifade edemiyorsak konuyu henüz anlamamışız demektir.",
        "Panel hızla uzlaşıyor ve hızlı uzlaşı bir uyarı işaretidir. {other} tarafından "
        "önerilen plan {t2} konusunun sabit kalacağını varsayıyor; ya kalmazsa?",
    ),
    closing=(
        "Çoğunluğun yanıldığını iddia etmiyorum; yalnızca bu özgüveni henüz hak etmediğini "
        "söylüyorum. Karar vermeden önce {t1} hakkındaki karşıt hipotezi sınayın.",
        "Karşı tarafı bir kez, düzgünce savunun. Plan bunu atlatırsa daha da güçlenir.",
    ),
    claims=(
        "Sorunun çerçevesi asıl hedefi gizliyor",
        "Aynı hedefe {t1} olmadan ulaşan başka yollar var",
        "Hızlı uzlaşı şüpheyi hak eder",
        "{t3} etrafındaki en kötü senaryonun sahibi yok",
    ),
)

PHRASEBOOK = Phrasebook(
    roles={
        "proponent": PROPONENT,
        "skeptic": SKEPTIC,
        "pragmatist": PRAGMATIST,
        "researcher": RESEARCHER,
        "devils_advocate": DEVILS_ADVOCATE,
    },
    marker="[demo]",
    opening_heading="Açılış konuşması: {title}",
    rebuttal_heading="{n}. tur karşı argümanı: {title}",
    fallback_terms=("hedef", "maliyet", "zamanlama"),
    judge_rationales=(
        "Yapı net ve öneri somut; kanıtlar daha güçlü olabilirdi.",
        "Doğru riskleri gündeme getiriyor ama sonraki adımlar için az ayrıntı sunuyor.",
        "İyi gerekçelendirilmiş ve dengeli; diğer koltuklarla doğrudan tartışıyor.",
        "Kanıttan çok iddiaya dayanıyor; {t1} hakkındaki temel iddia desteklenmemiş.",
        "Pratik ve somut, ancak {t2} tarafındaki olumsuzlukları küçümsüyor.",
    ),
    consensus=(
        "Panel, {t1} konusunda sezgiyle karar verilmemesi gerektiğinde uzlaşıyor: sınırlı ve "
        "ölçülen bir ilk adım, hem topyekûn bir taahhütten hem de hiçbir şey yapmamaktan daha "
        "iyi."
    ),
    disagreements=(
        "{t2} etrafındaki gizli maliyetlerin beklenen faydalar karşısında ne kadar ağırlık "
        "taşıdığı.",
        "Bir pilotun {t1} hakkında tam ölçekte yeterince bilgi verip vermediği.",
        "Karar vermeden önce kanıt için ne kadar beklenmesi gerektiği.",
    ),
    recommendation=(
        "{t1} üzerine tek bir sorumlusu, yazılı bir başarı ölçütü ve durma kuralı olan süreli "
        "bir deneme yapın; önce mevcut durumu ölçün; {t2} konusunda daha büyük bir "
        "taahhütten önce sonuçları değerlendirin."
    ),
    synthesis_headings=("Uzlaşı", "Görüş ayrılıkları", "Öneri"),
    judge_heading="Puanlar",
)
